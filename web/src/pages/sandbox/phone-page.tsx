/**
 * The sandbox phone: the simulated users on one side, one user's WhatsApp on the other. The
 * chat is read every second (the sandbox has no event stream), so a template shows within a
 * second of its delivery; a tap or a message goes to the sandbox, which sends it to Recontact
 * as Meta would. On a phone-sized screen the list and the phone are two pages.
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Grid,
  Group,
  NavLink,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { MessageBubble, PhoneFrame } from '../../components/phone';
import { useFormat, useT } from '../../i18n/i18n';
import { ChatComposer } from './chat-composer';
import { bubbleOf, type ChatButton, type ChatMessage, TAPPABLE, waIdOf } from './chat-message';
import { MessengerPhone, MessengerWindowBadge } from './messenger-phone';
import { sandboxStrings } from './strings';
import { usePolled } from './use-polled';
import './sandbox.css';

type Sandbox = components['schemas']['Sandbox'];
type SandboxUser = components['schemas']['SandboxUser'];

const CHAT_EVERY_MS = 1_000;
const LIST_EVERY_MS = 3_000;

export function SandboxPhonePage() {
  const t = useT(sandboxStrings);
  const { user, psid } = useParams();
  const open = user ?? (psid === undefined ? undefined : `messenger/${psid}`);
  const sandbox = usePolled(() => unwrap(api.GET('/v1/sandbox')), LIST_EVERY_MS, []);

  if (sandbox.error?.status === 404) return <Alert color="gray">{t('unavailable')}</Alert>;
  return (
    <Stack gap="md" className="rc-sandbox">
      <Title order={1}>{t('title')}</Title>
      <Text c="gray.7" maw={720}>
        {t('intro')}
      </Text>
      {sandbox.error && (
        <Alert color="red" title={t('loadFailed')}>
          {sandbox.error.message}
        </Alert>
      )}
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 4 }} {...(open ? { visibleFrom: 'md' } : {})}>
          <UserList sandbox={sandbox.data} selected={open} />
        </Grid.Col>
        {psid && (
          <Grid.Col span={{ base: 12, md: 8 }}>
            <Anchor component={Link} to="/sandbox" hiddenFrom="md" mb="sm" display="inline-block">
              ← {t('back')}
            </Anchor>
            <MessengerPhone psid={psid} onChanged={sandbox.reload} />
          </Grid.Col>
        )}
        {user && (
          <Grid.Col span={{ base: 12, md: 8 }}>
            <Anchor component={Link} to="/sandbox" hiddenFrom="md" mb="sm" display="inline-block">
              ← {t('back')}
            </Anchor>
            <UserPhone user={user} sandbox={sandbox.data} onChanged={sandbox.reload} />
          </Grid.Col>
        )}
      </Grid>
    </Stack>
  );
}

function WindowBadge({ user }: { user: SandboxUser }) {
  const t = useT(sandboxStrings);
  const f = useFormat();
  if (!user.window.expires_at) return <Badge color="gray.7">{t('noWindow')}</Badge>;
  if (!user.window.open) return <Badge color="gray.7">{t('windowClosed')}</Badge>;
  return <Badge color="teal.9">{t('windowOpen', { time: f.dateTime(user.window.expires_at) })}</Badge>;
}

function UserList({ sandbox, selected }: { sandbox: Sandbox | undefined; selected: string | undefined }) {
  const t = useT(sandboxStrings);
  const navigate = useNavigate();
  const [number, setNumber] = useState('');
  const [invalid, setInvalid] = useState(false);

  const open = (e: FormEvent) => {
    e.preventDefault();
    const waId = waIdOf(number);
    setInvalid(!waId);
    if (waId) navigate(`/sandbox/${waId}`);
  };

  return (
    <Stack gap="md">
      <nav aria-labelledby="sandbox-users">
        <Title order={2} size="h4" id="sandbox-users" mb="xs">
          {t('users')}
        </Title>
        {sandbox && sandbox.users.length === 0 && (
          <Text size="sm" c="gray.7">
            {t('noUsers')}
          </Text>
        )}
        {sandbox?.users.map((u) => (
          <NavLink
            key={u.wa_id}
            component={Link}
            to={`/sandbox/${u.wa_id}`}
            active={selected === u.wa_id}
            variant="filled"
            label={`${u.name} · +${u.wa_id}`}
            description={<WindowBadge user={u} />}
            rightSection={
              u.unread > 0 ? (
                <Badge color="teal.9" circle={u.unread < 10} aria-label={t('unread', { count: u.unread })}>
                  {u.unread}
                </Badge>
              ) : undefined
            }
          />
        ))}
      </nav>
      <nav aria-labelledby="sandbox-messenger">
        <Title order={2} size="h4" id="sandbox-messenger" mb="xs">
          {t('messengerPeople')}
        </Title>
        {sandbox && sandbox.messenger.people.length === 0 && (
          <Text size="sm" c="gray.7">
            {t('noMessengerPeople')}
          </Text>
        )}
        {sandbox?.messenger.people.map((p) => (
          <NavLink
            key={p.psid}
            component={Link}
            to={`/sandbox/messenger/${p.psid}`}
            active={selected === `messenger/${p.psid}`}
            variant="filled"
            label={`${p.name} · ${p.page_name}`}
            description={
              <Group gap={4}>
                <Badge color="blue.9">{t('messengerBadge')}</Badge>
                <MessengerWindowBadge person={p} />
              </Group>
            }
            rightSection={
              p.unread > 0 ? (
                <Badge color="blue.9" circle={p.unread < 10} aria-label={t('unread', { count: p.unread })}>
                  {p.unread}
                </Badge>
              ) : undefined
            }
          />
        ))}
      </nav>
      <form onSubmit={open} aria-labelledby="sandbox-open">
        <Title order={2} size="h4" id="sandbox-open" mb="xs">
          {t('openNumber')}
        </Title>
        <Group align="flex-end" wrap="nowrap" gap="xs">
          <TextInput
            label={t('numberLabel')}
            placeholder={t('numberHint')}
            value={number}
            onChange={(e) => setNumber(e.currentTarget.value)}
            error={invalid ? t('numberInvalid') : undefined}
            inputMode="tel"
            autoComplete="off"
            style={{ flex: 1 }}
          />
          <Button type="submit" variant="default">
            {t('open')}
          </Button>
        </Group>
      </form>
    </Stack>
  );
}

function UserPhone({
  user,
  sandbox,
  onChanged,
}: {
  user: string;
  sandbox: Sandbox | undefined;
  onChanged: () => void;
}) {
  const t = useT(sandboxStrings);
  const chat = usePolled(
    () => unwrap(api.GET('/v1/sandbox/users/{user}/inbox', { params: { path: { user } } })),
    CHAT_EVERY_MS,
    [user],
  );
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ color: string; text: string } | undefined>();
  const end = useRef<HTMLDivElement>(null);
  const count = chat.data?.messages.length ?? 0;

  // A new message scrolls the chat to it, as a phone does.
  useEffect(() => {
    if (count > 0) end.current?.scrollIntoView({ block: 'nearest' });
  }, [count]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a notice belongs to the chat it was said in
  useEffect(() => setNotice(undefined), [user]);

  const act = async (call: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    try {
      await call();
      setNotice(done ? { color: 'teal', text: done } : undefined);
      chat.reload();
      onChanged();
      return true;
    } catch (e) {
      setNotice({ color: 'red', text: `${t('actionFailed')}: ${(e as ApiError).message}` });
      return false;
    } finally {
      setBusy(false);
    }
  };

  const tap = (m: ChatMessage, b: ChatButton) => {
    if (!TAPPABLE.has(b.kind)) {
      setNotice({ color: 'gray', text: t('cannotTap', { button: b.text }) });
      return;
    }
    void act(
      () =>
        unwrap(
          api.POST('/v1/sandbox/users/{user}/tap', {
            params: { path: { user } },
            body: { message_id: m.id, button: b.index },
          }),
        ),
      t('tapSent', { button: b.text }),
    );
  };

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    const ok = await act(() =>
      unwrap(
        api.POST('/v1/sandbox/users/{user}/messages', { params: { path: { user } }, body: { text: body } }),
      ),
    );
    if (ok) setText('');
  };

  const number =
    sandbox?.numbers.find((n) => n.phone_number_id === chat.data?.phone_number_id) ?? sandbox?.numbers[0];
  const business = number?.account?.name ?? t('business');
  const person = chat.data?.user;

  return (
    <Stack gap="sm" align="stretch">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Title order={2} size="h3">
          {t('phoneOf', { name: person?.name ?? `+${user}` })}
        </Title>
        {person && <WindowBadge user={person} />}
      </Group>
      <Text size="sm" c="gray.7">
        +{user}
      </Text>
      {chat.error && (
        <Alert color="red" title={t('loadFailed')}>
          {chat.error.message}
        </Alert>
      )}
      <PhoneFrame
        name={business}
        {...(number ? { subtitle: `+${number.display_phone_number}` } : {})}
        live
        footer={
          <ChatComposer
            text={text}
            onText={setText}
            onSubmit={send}
            busy={busy}
            maxLength={4096}
            color="teal"
            label={t('message')}
            sendLabel={t('send')}
          />
        }
      >
        {chat.data && count === 0 && (
          <Text size="sm" ta="center" c="gray.7" className="rc-sandbox-empty">
            {t('emptyChat')}
          </Text>
        )}
        {chat.data?.messages.map((m) => (
          <MessageBubble
            key={m.id}
            {...bubbleOf(m)}
            {...(m.direction === 'to_user' && m.buttons?.length
              ? { onButton: (i: number) => tap(m, m.buttons![i]!), buttonsDisabled: busy }
              : {})}
          />
        ))}
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
