/**
 * The users of the web app, for admins: who they are, their role (changed in place), whether
 * they can sign in, when they last did; a new user, a new password, disable and enable. The API
 * keeps the rules (the last admin stays, usernames ignore case) and the page shows its refusals
 * as they are.
 */
import {
  Alert,
  Badge,
  Button,
  Group,
  Loader,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { type Role, useSession } from '../../app/session';
import { ApiErrorAlert, asApiError } from '../../components/api-error';
import { useFormat, useT } from '../../i18n/i18n';
import { NewUserForm } from './new-user-form';
import { PasswordForm } from './password-form';
import { useRoleOptions } from './role-options';
import { userStrings } from './strings';

type User = components['schemas']['User'];
type Change = { role?: Role; disabled?: boolean };

export function UsersPage() {
  const t = useT(userStrings);
  const fmt = useFormat();
  const roles = useRoleOptions();
  const { user: me } = useSession();
  const [users, setUsers] = useState<User[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [changeError, setChangeError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [passwordFor, setPasswordFor] = useState<User | null>(null);

  const reload = useCallback(async () => {
    try {
      setUsers((await unwrap(api.GET('/v1/users'))).data);
      setLoadError(null);
    } catch (err) {
      setLoadError(asApiError(err));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);

  async function change(u: User, body: Change) {
    setChangeError(null);
    setNotice(null);
    try {
      await unwrap(api.PATCH('/v1/users/{id}', { params: { path: { id: u.id } }, body }));
    } catch (err) {
      setChangeError(asApiError(err));
    }
    await reload();
  }

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={1}>{t('title')}</Title>
          <Text size="sm">{t('intro')}</Text>
        </div>
        <Button onClick={() => setCreating(true)}>{t('newUser')}</Button>
      </Group>
      {notice && (
        <Alert
          color="green"
          role="status"
          withCloseButton
          closeButtonLabel={t('close')}
          onClose={() => setNotice(null)}
        >
          {notice}
        </Alert>
      )}
      {changeError && <ApiErrorAlert error={changeError} title={t('changeFailed')} />}
      {loadError && <ApiErrorAlert error={loadError} title={t('loadFailed')} />}
      {users === undefined && !loadError && <Loader aria-label={t('title')} />}
      {users?.length === 0 && <Text>{t('none')}</Text>}
      {users && users.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('username')}</Table.Th>
                <Table.Th>{t('displayName')}</Table.Th>
                <Table.Th>{t('role')}</Table.Th>
                <Table.Th>{t('status')}</Table.Th>
                <Table.Th>{t('lastSignIn')}</Table.Th>
                <Table.Th>{t('actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>
                    <Text fw={600} size="sm">
                      {u.username}
                      {me?.kind === 'user' && me.name === u.username ? ` (${t('you')})` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>{u.name ?? ''}</Table.Td>
                  <Table.Td>
                    <NativeSelect
                      aria-label={t('roleOf', { username: u.username })}
                      size="xs"
                      data={roles}
                      value={u.role}
                      onChange={(e) => void change(u, { role: e.currentTarget.value as Role })}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Badge color={u.status === 'active' ? 'teal.9' : 'gray.7'} variant="filled">
                      {u.status === 'active' ? t('active') : t('disabled')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{u.last_sign_in_at ? fmt.dateTime(u.last_sign_in_at) : t('never')}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        aria-label={t('setPasswordFor', { username: u.username })}
                        onClick={() => setPasswordFor(u)}
                      >
                        {t('setPassword')}
                      </Button>
                      {u.status === 'active' ? (
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={t('disableUser', { username: u.username })}
                          onClick={() => void change(u, { disabled: true })}
                        >
                          {t('disable')}
                        </Button>
                      ) : (
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={t('enableUser', { username: u.username })}
                          onClick={() => void change(u, { disabled: false })}
                        >
                          {t('enable')}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <Modal opened={creating} onClose={() => setCreating(false)} title={t('newUser')}>
        <NewUserForm
          onCancel={() => setCreating(false)}
          onCreated={(username) => {
            setCreating(false);
            setNotice(t('created', { username }));
            void reload();
          }}
        />
      </Modal>
      <Modal
        opened={passwordFor !== null}
        onClose={() => setPasswordFor(null)}
        title={passwordFor ? t('setPasswordFor', { username: passwordFor.username }) : ''}
      >
        {passwordFor && (
          <PasswordForm
            userId={passwordFor.id}
            onCancel={() => setPasswordFor(null)}
            onDone={() => {
              setNotice(t('passwordSet', { username: passwordFor.username }));
              setPasswordFor(null);
              void reload();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}
