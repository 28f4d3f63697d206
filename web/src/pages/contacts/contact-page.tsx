/**
 * One contact: who they are (profile, tags, attributes), their window counting down live, their
 * consent with its whole ledger, the conversation both ways, and what a sender may do (reply
 * with a text, held when the window is closed; send a template) or an admin (erase). Everything
 * reloads when the event stream reports something about this contact.
 */
import {
  Alert,
  Anchor,
  Badge,
  Card,
  Group,
  Loader,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../app/session';
import { useContactEvents } from '../../components/contact-events';
import { ReplyBox } from '../../components/reply-box';
import { TemplateSendForm } from '../../components/template-send-form';
import { ThreadCard } from '../../components/thread-card';
import { useApiData } from '../../components/use-api-data';
import { useCancelHeld } from '../../components/use-cancel-held';
import { useThread } from '../../components/use-thread';
import { WindowCountdown } from '../../components/window-countdown';
import { useFormat, useT } from '../../i18n/i18n';
import { ConsentBadge } from './consent-badge';
import { ConsentHistory } from './consent-history';
import { EraseContact } from './erase-contact';
import { contactStrings } from './strings';

export function ContactPage() {
  const t = useT(contactStrings);
  const f = useFormat();
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
      <Alert color="red.9" variant="outline" role="alert" title={t('contactFailed')}>
        {contact.error.message}
        {contact.error.hint ? ` ${contact.error.hint}` : ''}
      </Alert>
    );
  }
  const c = contact.data;
  if (!c) return <Loader aria-label={t('loading')} />;
  const name = c.name ?? c.phone ?? c.wa_id;
  const attributes = Object.entries(c.attributes);

  return (
    <Stack>
      <Anchor component={Link} to="/contacts" size="sm">
        {t('backToList')}
      </Anchor>
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Title order={1}>{name}</Title>
          <Text c="gray.7" size="sm">
            {[
              c.phone,
              c.bsuid,
              c.language,
              c.time_zone && `${c.time_zone}${c.time_zone_inferred ? ` (${t('inferred')})` : ''}`,
            ]
              .filter(Boolean)
              .join(' · ')}
          </Text>
        </Stack>
        {can('admin') && <EraseContact contactId={c.id} name={name} />}
      </Group>

      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder component="section" aria-labelledby="window-title">
          <Title order={2} size="h4" id="window-title">
            {t('window')}
          </Title>
          <WindowCountdown window={c.window} announce onClosed={contact.reload} />
          {c.window.last_inbound_at && (
            <Text size="sm" c="gray.7" mt="xs">
              {t('lastMessage', { when: f.dateTime(c.window.last_inbound_at) })}
            </Text>
          )}
          {c.waiting && (
            <Text size="sm" mt="xs">
              {t('waitingSince', { reason: c.waiting.reason, when: f.dateTime(c.waiting.since) })}{' '}
              <Anchor component={Link} to={`/conversations/${c.id}`} underline="always">
                {t('openConversation')}
              </Anchor>
            </Text>
          )}
        </Card>
        <Card withBorder component="section" aria-labelledby="profile-title">
          <Title order={2} size="h4" id="profile-title">
            {t('profile')}
          </Title>
          <Group gap={4} my="xs">
            {c.tags.length === 0 ? (
              <Text size="sm" c="gray.7">
                {t('noTags')}
              </Text>
            ) : (
              c.tags.map((tag) => (
                <Badge key={tag} variant="outline" color="gray.7" tt="none">
                  {tag}
                </Badge>
              ))
            )}
          </Group>
          {attributes.length > 0 && (
            <Table aria-label={t('attributes')}>
              <Table.Tbody>
                {attributes.map(([k, v]) => (
                  <Table.Tr key={k}>
                    <Table.Th scope="row">{k}</Table.Th>
                    <Table.Td>{String(v)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      </SimpleGrid>

      <Card withBorder component="section" aria-labelledby="consent-title">
        <Group justify="space-between">
          <Title order={2} size="h4" id="consent-title">
            {t('consentHistory')}
          </Title>
          <ConsentBadge consent={c.consent} size="md" />
        </Group>
        <ConsentHistory history={c.consent.history} />
      </Card>

      <ThreadCard
        title={t('conversation')}
        thread={thread}
        contactName={name}
        onCancelHeld={can('sender') ? cancelHeld : undefined}
      />

      {can('sender') && (
        <Card withBorder component="section" aria-labelledby="send-title">
          <Title order={2} size="h4" id="send-title" mb="sm">
            {t('send')}
          </Title>
          <Tabs defaultValue="text">
            <Tabs.List>
              <Tabs.Tab value="text">{t('sendText')}</Tabs.Tab>
              <Tabs.Tab value="template">{t('sendTemplate')}</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="text" pt="sm">
              <ReplyBox contact={c} onSent={reloadAll} />
            </Tabs.Panel>
            <Tabs.Panel value="template" pt="sm">
              <TemplateSendForm contact={c} onSent={reloadAll} />
            </Tabs.Panel>
          </Tabs>
        </Card>
      )}
    </Stack>
  );
}
