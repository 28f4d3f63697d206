/**
 * What the contact waits for and what Recontact does about it: the mark (reason, question,
 * since), the resume template (due, sent, answered, or why it was not sent), and the agent's
 * actions: mark the wait answered; or, for a contact not waiting whose window has closed,
 * invite them back with the account's resume template (a mark on a closed window sends it at
 * once, and their reply comes back as conversation.resumed).
 */
import { Alert, Badge, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ApiError } from '../../api/errors';
import { useSession } from '../../app/session';
import type { ContactDetail } from '../../components/template-values';
import { useSendTemplates } from '../../components/use-send-templates';
import { useRemainingSeconds } from '../../components/window-countdown';
import { useFormat, useT } from '../../i18n/i18n';
import { conversationPageStrings } from './strings';

export function WaitingPanel({ contact, onChange }: { contact: ContactDetail; onChange(): void }) {
  const t = useT(conversationPageStrings);
  const f = useFormat();
  const { can } = useSession();
  const left = useRemainingSeconds(contact.window);
  const rule = useSendTemplates(contact.account_id).data?.rule;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const w = contact.waiting;
  const name = contact.name ?? contact.phone ?? contact.wa_id;

  async function act(call: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await call();
      onChange();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined));
    } finally {
      setBusy(false);
    }
  }
  const path = { params: { path: { contact: contact.id } } };
  const clear = () => act(() => unwrap(api.DELETE('/v1/contacts/{contact}/waiting', path)));
  const invite = () =>
    act(() => unwrap(api.POST('/v1/contacts/{contact}/waiting', { ...path, body: { reason: 'agent' } })));
  const ruleTemplate = rule?.template as { name?: string } | undefined;

  return (
    <Stack gap="xs">
      {w ? (
        <>
          <Group gap="xs">
            <Badge color="violet.9">{t(`waiting_${w.state}`)}</Badge>
            <Text size="sm">{t('waitingFor', { reason: w.reason, since: f.dateTime(w.since) })}</Text>
          </Group>
          {w.question && (
            <Text size="sm" fs="italic" style={{ overflowWrap: 'anywhere' }}>
              “{w.question}”
            </Text>
          )}
          <Text size="sm">{resumeText()}</Text>
        </>
      ) : (
        <Text size="sm">{t('notWaiting')}</Text>
      )}
      {error && (
        <Alert color="red.9" variant="outline" role="alert">
          {error.message}
          {error.hint ? ` ${error.hint}` : ''}
        </Alert>
      )}
      {can('sender') && (
        <Group gap="xs">
          {w && (
            <Button size="xs" variant="default" onClick={clear} loading={busy}>
              {t('markAnswered')}
            </Button>
          )}
          {!w && left <= 0 && ruleTemplate?.name && (
            <Button size="xs" onClick={invite} loading={busy}>
              {t('inviteBack', { name, template: ruleTemplate.name })}
            </Button>
          )}
        </Group>
      )}
    </Stack>
  );

  function resumeText(): string {
    if (!w?.resume) return t('noResume');
    const template = w.resume.template.name;
    if (w.resume_failure) return t('resumeFailed', { template, reason: w.resume_failure });
    if (w.resumed_at) return t('resumed', { when: f.dateTime(w.resumed_at) });
    if (w.resume_sent_at) return t('resumeSent', { template, when: f.dateTime(w.resume_sent_at) });
    if (w.resume_due_at) return t('resumeDue', { template, when: f.dateTime(w.resume_due_at) });
    return t('noResume');
  }
}
