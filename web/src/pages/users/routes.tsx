import { Title } from '@mantine/core';
import { Route, Routes } from 'react-router';

export function UserRoutes() {
  return (
    <Routes>
      <Route index element={<Title order={1}>users</Title>} />
    </Routes>
  );
}
