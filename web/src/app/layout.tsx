/**
 * The frame of every page: the sections on the left (a drawer behind a burger on a phone-sized
 * screen), who is signed in, the language, sign-out. The sandbox phone shows only when the
 * sandbox runs in this process.
 */
import { AppShell, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Outlet, NavLink as RouterLink, useLocation } from 'react-router';
import { useT } from '../i18n/i18n';
import { useSandboxAvailable } from '../pages/sandbox/availability';
import { LanguagePicker } from './language-picker';
import { PasswordModal } from './password-modal';
import { type Role, useSession } from './session';
import { shellStrings } from './strings';

type NavKey =
  | 'navTemplates'
  | 'navContacts'
  | 'navCampaigns'
  | 'navConversations'
  | 'navSandbox'
  | 'navUsers';

const SECTIONS: Array<{ to: string; key: NavKey; role: Role; sandboxOnly?: boolean }> = [
  { to: '/templates', key: 'navTemplates', role: 'viewer' },
  { to: '/contacts', key: 'navContacts', role: 'viewer' },
  { to: '/campaigns', key: 'navCampaigns', role: 'viewer' },
  { to: '/conversations', key: 'navConversations', role: 'viewer' },
  { to: '/sandbox', key: 'navSandbox', role: 'sender', sandboxOnly: true },
  { to: '/users', key: 'navUsers', role: 'admin' },
];

export function Layout() {
  const t = useT(shellStrings);
  const { user, signOut, can } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const [passwordOpened, { open: openPassword, close: closePassword }] = useDisclosure();
  const sandbox = useSandboxAvailable();
  const { pathname } = useLocation();

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('menu')} />
            <Title order={2} size="h4">
              {t('appName')}
            </Title>
          </Group>
          {user && (
            <Text size="sm" c="gray.7" visibleFrom="xs" truncate>
              {t('signedInAs', { name: user.display_name || user.name, role: user.role })}
            </Text>
          )}
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Recontact">
        <Stack justify="space-between" h="100%">
          <nav>
            {SECTIONS.filter((s) => can(s.role) && (!s.sandboxOnly || sandbox)).map((s) => (
              <NavLink
                key={s.to}
                component={RouterLink}
                to={s.to}
                label={t(s.key)}
                active={pathname.startsWith(s.to)}
                // Filled: the light variant's hovered shade puts blue text at 4:1 on the active link.
                variant="filled"
                onClick={close}
              />
            ))}
          </nav>
          <Stack gap="xs">
            <LanguagePicker />
            {user?.kind === 'user' && (
              <Button variant="subtle" onClick={openPassword}>
                {t('navPassword')}
              </Button>
            )}
            <Button variant="subtle" onClick={() => signOut()}>
              {t('signOut')}
            </Button>
          </Stack>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
      <PasswordModal opened={passwordOpened} onClose={closePassword} />
    </AppShell>
  );
}
