import { Title } from '@mantine/core';
import { Route, Routes } from 'react-router';

export function CampaignRoutes() {
  return (
    <Routes>
      <Route index element={<Title order={1}>campaigns</Title>} />
    </Routes>
  );
}
