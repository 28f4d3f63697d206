import { Title } from '@mantine/core';
import { Route, Routes } from 'react-router';

export function ContactRoutes() {
  return (
    <Routes>
      <Route index element={<Title order={1}>contacts</Title>} />
    </Routes>
  );
}
