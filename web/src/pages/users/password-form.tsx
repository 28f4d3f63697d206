/** An admin sets a user's password (a reset); the user's sessions end on the server. */
import { Button, Group, PasswordInput, Stack } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/errors';
import { ApiErrorAlert, asApiError } from '../../components/api-error';
import { useT } from '../../i18n/i18n';
import { userStrings } from './strings';

export function PasswordForm({
  userId,
  onDone,
  onCancel,
}: {
  userId: string;
  onDone(): void;
  onCancel(): void;
}) {
  const t = useT(userStrings);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.PATCH('/v1/users/{id}', { params: { path: { id: userId } }, body: { password } }));
      onDone();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit}>
      <Stack>
        <PasswordInput
          label={t('newPassword')}
          description={t('passwordHint')}
          autoComplete="new-password"
          required
          data-autofocus
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        {error && <ApiErrorAlert error={error} title={t('changeFailed')} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {t('save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
