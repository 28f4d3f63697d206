/**
 * The pages and their addresses. Each section's pages live in web/src/pages/<section>/ and
 * declare their own sub-routes there.
 */
import { Center, Loader, Text } from '@mantine/core';
import { Navigate, Route, Routes } from 'react-router';
import { useT } from '../i18n/i18n';
import { CampaignRoutes } from '../pages/campaigns/routes';
import { ContactRoutes } from '../pages/contacts/routes';
import { ConversationRoutes } from '../pages/conversations/routes';
import { SandboxRoutes } from '../pages/sandbox/routes';
import { TemplateRoutes } from '../pages/templates/routes';
import { UserRoutes } from '../pages/users/routes';
import { Layout } from './layout';
import { useSession } from './session';
import { SignInPage } from './sign-in';
import { shellStrings } from './strings';

export function AppRoutes() {
  const t = useT(shellStrings);
  const { user } = useSession();
  if (user === undefined) {
    return (
      <Center mih="100vh" aria-busy="true">
        <Loader aria-label={t('loading')} />
      </Center>
    );
  }
  if (user === null) return <SignInPage />;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/campaigns" replace />} />
        <Route path="templates/*" element={<TemplateRoutes />} />
        <Route path="contacts/*" element={<ContactRoutes />} />
        <Route path="campaigns/*" element={<CampaignRoutes />} />
        <Route path="conversations/*" element={<ConversationRoutes />} />
        <Route path="sandbox/*" element={<SandboxRoutes />} />
        <Route path="users/*" element={<UserRoutes />} />
        <Route path="*" element={<Text>{t('notFound')}</Text>} />
      </Route>
    </Routes>
  );
}
