import { Route, Routes } from 'react-router';
import { ContactListPage } from './contact-list-page';
import { ContactPage } from './contact-page';
import { ImportPage } from './import-page';
import { ImportProgressPage } from './import-progress-page';

export function ContactRoutes() {
  return (
    <Routes>
      <Route index element={<ContactListPage />} />
      <Route path="import" element={<ImportPage />} />
      <Route path="import/:id" element={<ImportProgressPage />} />
      <Route path=":contact" element={<ContactPage />} />
    </Routes>
  );
}
