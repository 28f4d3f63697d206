/**
 * Send one approved template to a contact, whatever the window: the way to reach someone whose
 * window is closed when there is no answer to hold. Refusals (an opt-out, a paused template,
 * values that do not fit) come back in the API's own words.
 */
import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { type FormEvent, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';
import { ApiError } from '../api/errors';
import { useSession } from '../app/session';
import { useT } from '../i18n/i18n';
import { conversationStrings } from './conversation-strings';
import { newIdempotencyKey } from './idempotency-key';
import { TemplatePicker, valuesComplete } from './template-picker';
import { type ContactDetail, initialValues, type Template, templateRequest } from './template-values';
import { useSendTemplates } from './use-send-templates';

export function TemplateSendForm({ contact, onSent }: { contact: ContactDetail; onSent(): void }) {
  const t = useT(conversationStrings);
  const { can } = useSession();
  const sendables = useSendTemplates(contact.account_id);
  const [selected, setSelected] = useState<Template | undefined>(undefined);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState('');
  const key = useRef(newIdempotencyKey());

  if (!can('sender')) {
    return (
      <Text size="sm" c="gray.7">
        {t('cannotSend')}
      </Text>
    );
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!selected) return;
    setBusy(true);
    setError(undefined);
    setDone('');
    try {
      await unwrap(
        api.POST('/v1/messages', {
          body: { to: contact.id, template: templateRequest(selected, values) },
          params: { header: { 'idempotency-key': key.current } },
        }),
      );
      key.current = newIdempotencyKey();
      setDone(t('templateQueued', { template: selected.name }));
      onSent();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err), undefined, undefined));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t('sendTemplate')}>
      <Stack gap="sm">
        <TemplatePicker
          label={t('template')}
          templates={sendables.data?.templates ?? []}
          selected={selected}
          values={values}
          onSelect={(x) => {
            setSelected(x);
            setValues(x ? initialValues(x, contact, sendables.data?.rule) : {});
          }}
          onValues={setValues}
        />
        {error && (
          <Alert color="red.9" variant="outline" role="alert" title={t('notSent')}>
            {error.message}
            {error.hint ? ` ${error.hint}` : ''}
          </Alert>
        )}
        <Group justify="space-between">
          <Text size="sm" role="status">
            {done}
          </Text>
          <Button type="submit" loading={busy} disabled={!valuesComplete(selected, values)}>
            {t('sendTemplate')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
