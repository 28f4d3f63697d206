import { Title } from '@mantine/core';
import { Route, Routes } from 'react-router';

export function TemplateRoutes() {
  return (
    <Routes>
      <Route index element={<Title order={1}>templates</Title>} />
    </Routes>
  );
}
