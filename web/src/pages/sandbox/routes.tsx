import { Route, Routes } from 'react-router';
import { SandboxPhonePage } from './phone-page';

export function SandboxRoutes() {
  return (
    <Routes>
      <Route index element={<SandboxPhonePage />} />
      <Route path=":user" element={<SandboxPhonePage />} />
    </Routes>
  );
}
