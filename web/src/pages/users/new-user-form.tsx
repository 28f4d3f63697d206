/** The form of a new user: username, display name, role and a first password. */
import { Button, Group, NativeSelect, PasswordInput, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { Role } from '../../app/session';
import { ApiErrorAlert, asApiError } from '../../components/api-error';
import { useT } from '../../i18n/i18n';
import { useRoleOptions } from './role-options';
import { userStrings } from './strings';

export function NewUserForm({
  onCreated,
  onCancel,
}: {
  onCreated(username: string): void;
  onCancel(): void;
}) {
  const t = useT(userStrings);
  const roles = useRoleOptions();
  const [username, setUsername] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await unwrap(
        api.POST('/v1/users', {
          body: { username, role, password, ...(name.trim() ? { name } : {}) },
        }),
      );
      onCreated(created.username);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput
          label={t('username')}
          description={t('usernameHint')}
          autoComplete="off"
          required
          data-autofocus
          value={username}
          onChange={(e) => setUsername(e.currentTarget.value)}
        />
        <TextInput
          label={t('displayName')}
          autoComplete="off"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <NativeSelect
          label={t('role')}
          data={roles}
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as Role)}
        />
        <PasswordInput
          label={t('password')}
          description={t('passwordHint')}
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        {error && <ApiErrorAlert error={error} title={t('changeFailed')} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {t('create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
