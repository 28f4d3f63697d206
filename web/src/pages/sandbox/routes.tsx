import { Title } from '@mantine/core';
import { Route, Routes } from 'react-router';

export function SandboxRoutes() {
  return (
    <Routes>
      <Route index element={<Title order={1}>sandbox</Title>} />
    </Routes>
  );
}
