/** The Templates section: the list, a new template, a stored one (its editor and history). */
import { Route, Routes } from 'react-router';
import { TemplateEditorPage } from './editor-page';
import { TemplateListPage } from './list-page';

export function TemplateRoutes() {
  return (
    <Routes>
      <Route index element={<TemplateListPage />} />
      <Route path="new" element={<TemplateEditorPage key="new" />} />
      <Route path=":name/:language" element={<TemplateEditorPage />} />
    </Routes>
  );
}
