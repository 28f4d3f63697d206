import { Title } from '@mantine/core';
import { Route, Routes } from 'react-router';

export function ConversationRoutes() {
  return (
    <Routes>
      <Route index element={<Title order={1}>conversations</Title>} />
    </Routes>
  );
}
