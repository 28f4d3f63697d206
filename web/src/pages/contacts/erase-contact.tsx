/**
 * Erase a person's data (a data-protection request), admin only, after a confirmation that says
 * what goes and that it cannot be undone.
 */
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ApiError } from '../../api/errors';
import { useT } from '../../i18n/i18n';
import { contactStrings } from './strings';

export function EraseContact({ contactId, name }: { contactId: string; name: string }) {
  const t = useT(contactStrings);
  const navigate = useNavigate();
  const [opened, { open, close }] = useDisclosure(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);

  async function erase() {
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(api.DELETE('/v1/contacts/{contact}', { params: { path: { contact: contactId } } }));
      close();
      navigate('/contacts', { replace: true, state: { erased: name } });
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button color="red.9" variant="outline" onClick={open}>
        {t('erase')}
      </Button>
      <Modal opened={opened} onClose={close} title={t('eraseTitle', { name })} centered>
        <Stack>
          <Text size="sm">{t('eraseExplain')}</Text>
          {error && (
            <Alert color="red.9" variant="outline" role="alert">
              {error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close} data-autofocus>
              {t('cancel')}
            </Button>
            <Button color="red.9" onClick={erase} loading={busy}>
              {t('eraseConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
