import { Text } from '@mantine/core';
import { Route, Routes } from 'react-router';
import { useSession } from '../../app/session';
import { useT } from '../../i18n/i18n';
import { userStrings } from './strings';
import { UsersPage } from './users-page';

export function UserRoutes() {
  const t = useT(userStrings);
  const { can } = useSession();
  if (!can('admin')) return <Text>{t('forbidden')}</Text>;
  return (
    <Routes>
      <Route index element={<UsersPage />} />
    </Routes>
  );
}
