/**
 * A simulated Messenger person's side of their thread with the sandbox page: what the page sent
 * on the left (grey, with its postback buttons and, under the newest message, its quick replies;
 * the messaging type or tag it came with underneath), what the person wrote, tapped or reacted
 * on the right in Messenger's blue. Read every second like the WhatsApp phone; a tap or a message
 * goes to the sandbox, which sends the page's webhook to Recontact as Meta would.
 */
import { Alert, Badge, Group, Stack, Text, Title } from '@mantine/core';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { PhoneFrame } from '../../components/phone';
import { useFormat, useT } from '../../i18n/i18n';
import { ChatComposer } from './chat-composer';
import { sandboxStrings } from './strings';
import { usePolled } from './use-polled';

type ThreadMessage = components['schemas']['SandboxThreadMessage'];
export type MessengerPerson = components['schemas']['SandboxMessengerPerson'];

const THREAD_EVERY_MS = 1_000;

export function MessengerWindowBadge({ person }: { person: MessengerPerson }) {
  const t = useT(sandboxStrings);
  const f = useFormat();
  if (person.blocked) return <Badge color="red.9">{t('blocked')}</Badge>;
  if (!person.window.expires_at) return <Badge color="gray.7">{t('noWindow')}</Badge>;
  if (!person.window.open) return <Badge color="gray.7">{t('windowClosed')}</Badge>;
  return <Badge color="blue.9">{t('windowOpen', { time: f.dateTime(person.window.expires_at) })}</Badge>;
}

export function MessengerPhone({ psid, onChanged }: { psid: string; onChanged: () => void }) {
  const t = useT(sandboxStrings);
  const f = useFormat();
  const thread = usePolled(
    () => unwrap(api.GET('/v1/sandbox/messenger/{psid}/thread', { params: { path: { psid } } })),
    THREAD_EVERY_MS,
    [psid],
  );
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ color: string; text: string } | undefined>();
  const end = useRef<HTMLDivElement>(null);
  const messages = thread.data?.messages ?? [];
  const count = messages.length;

  useEffect(() => {
    if (count > 0) end.current?.scrollIntoView({ block: 'nearest' });
  }, [count]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a notice belongs to the thread it was said in
  useEffect(() => setNotice(undefined), [psid]);

  const act = async (call: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    try {
      await call();
      setNotice(done ? { color: 'blue', text: done } : undefined);
      thread.reload();
      onChanged();
      return true;
    } catch (e) {
      setNotice({ color: 'red', text: `${t('actionFailed')}: ${(e as ApiError).message}` });
      return false;
    } finally {
      setBusy(false);
    }
  };

  const tap = (m: ThreadMessage, title: string, kind: string) => {
    if (kind !== 'postback' && kind !== 'text') {
      setNotice({ color: 'gray', text: t('cannotTap', { button: title }) });
      return;
    }
    void act(
      () =>
        unwrap(
          api.POST('/v1/sandbox/messenger/{psid}/tap', {
            params: { path: { psid } },
            body: { message_id: m.id, button: title },
          }),
        ),
      t('tapSent', { button: title }),
    );
  };

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    const ok = await act(() =>
      unwrap(
        api.POST('/v1/sandbox/messenger/{psid}/messages', {
          params: { path: { psid } },
          body: { text: body },
        }),
      ),
    );
    if (ok) setText('');
  };

  const person = thread.data?.person;
  const newest = messages.at(-1);

  return (
    <Stack gap="sm" align="stretch" className="rc-messenger">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Title order={2} size="h3">
          {t('messengerOf', { name: person?.name ?? psid })}
        </Title>
        {person && <MessengerWindowBadge person={person} />}
      </Group>
      <Text size="sm" c="gray.7">
        PSID {psid}
      </Text>
      {thread.error && (
        <Alert color="red" title={t('loadFailed')}>
          {thread.error.message}
        </Alert>
      )}
      <PhoneFrame
        name={person?.page_name ?? t('business')}
        subtitle={t('messengerBadge')}
        live
        footer={
          <ChatComposer
            text={text}
            onText={setText}
            onSubmit={send}
            busy={busy}
            maxLength={2000}
            color="blue.8"
            label={t('message')}
            sendLabel={t('send')}
          />
        }
      >
        {thread.data && count === 0 && (
          <Text size="sm" ta="center" c="gray.7" className="rc-sandbox-empty">
            {t('messengerEmpty')}
          </Text>
        )}
        {messages.map((m) => {
          const mine = m.direction === 'from_user';
          const buttons = [...(m.buttons ?? []), ...(m.elements ?? []).flatMap((e) => e.buttons)];
          const quick = m === newest ? (m.quick_replies ?? []).filter((q) => q.title !== null) : [];
          const how = m.tag ?? (m.messaging_type === 'UTILITY' ? 'UTILITY' : undefined);
          return (
            <div key={m.id} className={`rc-fb-msg ${mine ? 'rc-fb-msg--out' : 'rc-fb-msg--in'}`}>
              <div className="rc-fb-bubble">
                {m.header && <div className="rc-fb-header">{m.header}</div>}
                {m.elements?.map((e) => (
                  <div key={e.title} className="rc-fb-header">
                    {e.title}
                    {e.subtitle && <div className="rc-fb-sub">{e.subtitle}</div>}
                  </div>
                ))}
                <div className="rc-fb-text">
                  {m.type === 'reaction' ? t('reacted', { emoji: m.text }) : m.text}
                </div>
                {m.footer && <div className="rc-fb-sub">{m.footer}</div>}
                {buttons.length > 0 && (
                  <div className="rc-fb-buttons">
                    {buttons.map((b) => (
                      <button
                        type="button"
                        key={b.title}
                        className="rc-fb-button"
                        disabled={busy}
                        onClick={() => tap(m, b.title, b.type)}
                      >
                        {b.title}
                      </button>
                    ))}
                  </div>
                )}
              </div>
              <div className="rc-fb-meta">
                <time dateTime={m.at}>{f.dateTime(m.at)}</time>
                {how && ` · ${m.tag ? t('sentWithTag', { tag: m.tag }) : t('sentAs', { type: how })}`}
              </div>
              {quick.length > 0 && (
                // biome-ignore lint/a11y/useSemanticElements: a group of buttons, not a form fieldset
                <div className="rc-fb-quick" role="group" aria-label={t('quickReplies')}>
                  {quick.map((q) => (
                    <button
                      type="button"
                      key={q.title}
                      className="rc-fb-chip"
                      disabled={busy}
                      onClick={() => tap(m, q.title ?? '', q.type)}
                    >
                      {q.title}
                    </button>
                  ))}
                </div>
              )}
            </div>
          );
        })}
        <div ref={end} />
      </PhoneFrame>
      <div aria-live="polite">
        {notice && (
          <Alert color={notice.color} variant="light" maw={360} mx="auto">
            {notice.text}
          </Alert>
        )}
      </div>
    </Stack>
  );
}
