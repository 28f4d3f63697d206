/**
 * The agent's reply to one contact. While the window is open (more than 10 s left, the margin
 * Recontact itself keeps) the text goes now. Once it is closed the box says so in plain words and
 * sends with "send when allowed": the text is held until the contact writes again, and a template
 * that invites a reply goes first (the account's resume template by default; an invitation
 * already on its way is reused, never sent twice). A request the window overtook (409) switches
 * the box to the held form instead of losing the text.
 */
import { Alert, Button, Group, NativeSelect, Stack, Text, Textarea } from '@mantine/core';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';
import { ApiError } from '../api/errors';
import { useSession } from '../app/session';
import { useFormat, useT } from '../i18n/i18n';
import { conversationStrings } from './conversation-strings';
import { newIdempotencyKey } from './idempotency-key';
import { TemplatePicker, valuesComplete } from './template-picker';
import { type ContactDetail, initialValues, type Template, templateRequest } from './template-values';
import { useSendTemplates } from './use-send-templates';
import { useRemainingSeconds } from './window-countdown';

/** Below this, a free-form message might reach Meta after the close: it is held instead. */
const MARGIN_SECONDS = 10;
const HOLD_FOR = ['P1D', 'P3D', 'P7D', 'P30D'] as const;

export function ReplyBox({ contact, onSent }: { contact: ContactDetail; onSent(): void }) {
  const t = useT(conversationStrings);
  const f = useFormat();
  const { can } = useSession();
  const left = useRemainingSeconds(contact.window);
  const [overtaken, setOvertaken] = useState(false);
  const open = left > MARGIN_SECONDS && !overtaken;
  const name = contact.name ?? contact.phone ?? contact.wa_id;

  const sendables = useSendTemplates(contact.account_id);
  const [text, setText] = useState('');
  const [fallback, setFallback] = useState<Template | undefined>(undefined);
  const [values, setValues] = useState<Record<string, string>>({});
  const [holdFor, setHoldFor] = useState<(typeof HOLD_FOR)[number]>('P7D');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const key = useRef(newIdempotencyKey());

  // A new window (the contact wrote) opens the box again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new window resets it
  useEffect(() => setOvertaken(false), [contact.window.expires_at]);

  // The account's resume template first, else the first approved utility template.
  const data = sendables.data;
  // biome-ignore lint/correctness/useExhaustiveDependencies: chosen once per contact and list
  useEffect(() => {
    if (!data || fallback) return;
    const rule = data.rule?.template;
    const byRule = data.templates.find((x) => x.name === rule?.name && x.language === rule?.language);
    const first = byRule ?? data.templates.find((x) => x.category === 'UTILITY') ?? data.templates[0];
    if (first) choose(first);
  }, [data]);

  function choose(x: Template | undefined) {
    setFallback(x);
    setValues(x ? initialValues(x, contact, data?.rule) : {});
  }

  if (!can('sender')) {
    return (
      <Text size="sm" c="gray.7">
        {t('cannotSend')}
      </Text>
    );
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const body = {
        to: contact.id,
        text: { body: text },
        ...(open || !fallback
          ? {}
          : { when_closed: { template: templateRequest(fallback, values), hold_for: holdFor } }),
      };
      const answer = await unwrap(
        api.POST('/v1/messages', { body, params: { header: { 'idempotency-key': key.current } } }),
      );
      key.current = newIdempotencyKey();
      setText('');
      if (answer.path === 'template_then_held') {
        setDone(
          t(answer.template_reused ? 'heldInvitationReused' : 'heldInvitationSent', {
            name,
            template: fallback?.name ?? '',
          }),
        );
      } else setDone(t('sentNow'));
      onSent();
    } catch (err) {
      const apiError =
        err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err), undefined, undefined);
      // The window closed while the agent typed: keep the text, offer the held form.
      if (apiError.code === 'WINDOW_CLOSED') {
        setOvertaken(true);
        setError(undefined);
        setDone(t('windowClosedWhileTyping'));
      } else setError(apiError);
    } finally {
      setBusy(false);
    }
  }

  const ready = text.trim() !== '' && (open || valuesComplete(fallback, values));
  return (
    <form onSubmit={submit}>
      <Stack gap="sm">
        {open ? (
          <Text size="sm" c="gray.7">
            {t('openExplain')}
          </Text>
        ) : (
          <Alert color="violet.9" variant="outline" title={t('closedTitle')}>
            <Text size="sm">
              {contact.window.expires_at
                ? t('closedExplain', { name, when: f.dateTime(contact.window.expires_at) })
                : t('neverWroteExplain', { name })}
            </Text>
          </Alert>
        )}
        <Textarea
          label={t('replyTo', { name })}
          autosize
          minRows={2}
          maxRows={8}
          maxLength={4096}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
        />
        {!open && (
          <>
            {sendables.data && sendables.data.templates.length === 0 ? (
              <Alert color="red.9" variant="outline">
                {t('noInvitationTemplate')}
              </Alert>
            ) : (
              <TemplatePicker
                label={t('invitationTemplate')}
                description={t('invitationExplain')}
                templates={sendables.data?.templates ?? []}
                selected={fallback}
                values={values}
                onSelect={choose}
                onValues={setValues}
              />
            )}
            <NativeSelect
              label={t('holdFor')}
              value={holdFor}
              onChange={(e) => setHoldFor(e.currentTarget.value as (typeof HOLD_FOR)[number])}
              data={HOLD_FOR.map((v) => ({ value: v, label: t(`holdFor_${v}`) }))}
            />
          </>
        )}
        {error && (
          <Alert color="red.9" variant="outline" role="alert" title={t('notSent')}>
            {error.message}
            {error.hint ? ` ${error.hint}` : ''}
          </Alert>
        )}
        <Group justify="space-between" wrap="wrap">
          <Text size="sm" role="status">
            {done ?? ''}
          </Text>
          <Button type="submit" loading={busy} disabled={!ready}>
            {open ? t('sendNow') : t('holdUntilWrites', { name })}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
