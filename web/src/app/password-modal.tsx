/**
 * A signed-in user changes their own password, in a dialog opened from the frame: the current
 * one, the new one twice. The API checks the current password and the rules (its message is
 * shown as it is); the dialog only checks that the two new ones match, which the API cannot see.
 * The API ends the user's other sessions and keeps this one, so the page stays signed in.
 * A dialog rather than a page: it needs no address of its own and leaves the page behind as it was.
 */
import { Alert, Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { ApiError } from '../api/errors';
import { ApiErrorAlert, asApiError } from '../components/api-error';
import { useT } from '../i18n/i18n';
import { shellStrings } from './strings';

export function PasswordModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const t = useT(shellStrings);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const mismatch = confirm !== '' && confirm !== next;

  function close() {
    setCurrent('');
    setNext('');
    setConfirm('');
    setError(null);
    setDone(false);
    onClose();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next !== confirm) return;
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await unwrap(api.POST('/v1/session/password', { body: { current, new: next } }));
      setCurrent('');
      setNext('');
      setConfirm('');
      setDone(true);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={t('passwordTitle')}
      closeButtonProps={{ 'aria-label': t('close') }}
    >
      <form onSubmit={submit}>
        <Stack>
          <PasswordInput
            label={t('currentPassword')}
            autoComplete="current-password"
            required
            data-autofocus
            value={current}
            onChange={(e) => setCurrent(e.currentTarget.value)}
          />
          <PasswordInput
            label={t('newPassword')}
            description={t('newPasswordHint')}
            autoComplete="new-password"
            required
            value={next}
            onChange={(e) => setNext(e.currentTarget.value)}
          />
          <PasswordInput
            label={t('confirmPassword')}
            autoComplete="new-password"
            required
            value={confirm}
            aria-invalid={mismatch}
            onChange={(e) => setConfirm(e.currentTarget.value)}
          />
          {/* Not the field's own error style: Mantine's red on white is below AA contrast. */}
          {mismatch && (
            <Text size="sm" c="red.9" role="alert">
              {t('passwordsDiffer')}
            </Text>
          )}
          {error && <ApiErrorAlert error={error} title={t('passwordFailed')} />}
          {done && (
            // No title: Mantine's green title on its light green is below AA contrast.
            <Alert color="green" role="status">
              <Text size="sm" fw={700}>
                {t('passwordChanged')}
              </Text>
              <Text size="sm">{t('passwordChangedDetail')}</Text>
            </Alert>
          )}
          <Group justify="flex-end">
            <Button type="submit" loading={busy} disabled={mismatch}>
              {t('changePassword')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
