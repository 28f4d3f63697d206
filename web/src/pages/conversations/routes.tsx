import { Route, Routes } from 'react-router';
import { ConversationPage } from './conversation-page';
import { ConversationsPage } from './conversations-page';

export function ConversationRoutes() {
  return (
    <Routes>
      <Route index element={<ConversationsPage />} />
      <Route path=":contact" element={<ConversationPage />} />
    </Routes>
  );
}
