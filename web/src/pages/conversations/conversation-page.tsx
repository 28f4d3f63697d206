/**
 * One conversation, for an agent: the window counting down, what the contact waits for, the
 * thread both ways, and the reply box (sent now while the window is open; held until the
 * contact writes, behind an invitation, once it is closed). It follows the event stream, so a
 * reply from the contact, a status or a released answer appears without a reload.
 */
import { Alert, Anchor, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../app/session';
import { useContactEvents } from '../../components/contact-events';
import { ReplyBox } from '../../components/reply-box';
import { ThreadCard } from '../../components/thread-card';
import { useApiData } from '../../components/use-api-data';
import { useCancelHeld } from '../../components/use-cancel-held';
import { useThread } from '../../components/use-thread';
import { WindowCountdown } from '../../components/window-countdown';
import { useT } from '../../i18n/i18n';
import { conversationPageStrings } from './strings';
import { WaitingPanel } from './waiting-panel';

export function ConversationPage() {
  const t = useT(conversationPageStrings);
  const { can } = useSession();
  const ref = useParams().contact ?? '';
  const contact = useApiData(
    () => unwrap(api.GET('/v1/contacts/{contact}', { params: { path: { contact: ref } } })),
    [ref],
  );
  const thread = useThread(ref);
  const reloadAll = () => {
    contact.reload();
    thread.reload();
  };
  useContactEvents(contact.data?.id, reloadAll);
  const cancelHeld = useCancelHeld(reloadAll);

  if (contact.error) {
    return (
      <Alert color="red.9" variant="outline" role="alert" title={t('failed')}>
        {contact.error.message}
      </Alert>
    );
  }
  const c = contact.data;
  if (!c) return <Loader aria-label={t('loading')} />;
  const name = c.name ?? c.phone ?? c.wa_id;
  return (
    <Stack>
      <Anchor component={Link} to="/conversations" size="sm">
        {t('backToList')}
      </Anchor>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <Stack gap={2}>
          <Title order={1}>{name}</Title>
          <Text size="sm" c="gray.7">
            {c.phone ?? c.wa_id} ·{' '}
            <Anchor component={Link} to={`/contacts/${c.id}`} size="sm" underline="always">
              {t('contactPage')}
            </Anchor>
          </Text>
        </Stack>
        <WindowCountdown window={c.window} announce onClosed={contact.reload} />
      </Group>
      <Card withBorder component="section" aria-labelledby="waiting-title">
        <Title order={2} size="h4" id="waiting-title" mb="xs">
          {t('waitingSection')}
        </Title>
        <WaitingPanel contact={c} onChange={reloadAll} />
      </Card>
      <ThreadCard
        title={t('thread')}
        thread={thread}
        contactName={name}
        onCancelHeld={can('sender') ? cancelHeld : undefined}
      />
      <Card withBorder component="section" aria-labelledby="reply-title">
        <Title order={2} size="h4" id="reply-title" mb="sm">
          {t('reply')}
        </Title>
        <ReplyBox contact={c} onSent={reloadAll} />
      </Card>
    </Stack>
  );
}
