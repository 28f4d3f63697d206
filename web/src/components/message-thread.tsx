/**
 * A contact's conversation, both ways, oldest first: our messages on the right (a template as the
 * phone showed it, with its buttons; the status, and a failure's reason in words), theirs on the
 * left (texts, and the buttons they tapped). A held answer says so, until when, and may be
 * withdrawn. Older messages load on request; new ones come in as the page reloads the thread.
 */
import { Badge, Box, Button, Group, Paper, Stack, Text } from '@mantine/core';
import type { components } from '../api/schema';
import { useFormat, useT } from '../i18n/i18n';
import { conversationStrings } from './conversation-strings';

export type ThreadItem = components['schemas']['ThreadItem'];
type Outbound = Extract<ThreadItem, { direction: 'outbound' }>;
type Inbound = Extract<ThreadItem, { direction: 'inbound' }>;
type Status = Outbound['message']['status'];

// Shades chosen for 4.5:1 with the badge's text (WCAG AA), light ones with dark text.
const STATUS_COLOR: Record<Status, string> = {
  queued: 'gray.7',
  sending: 'gray.7',
  unconfirmed: 'yellow.5',
  in_doubt: 'yellow.5',
  accepted: 'blue.9',
  sent: 'blue.9',
  delivered: 'teal.9',
  read: 'indigo.9',
  failed: 'red.9',
  held: 'violet.9',
  cancelled: 'gray.7',
  expired: 'gray.7',
};

export function MessageThread({
  items,
  contactName,
  hasOlder,
  loadingOlder,
  onLoadOlder,
  onCancelHeld,
}: {
  items: ThreadItem[];
  contactName: string;
  hasOlder: boolean;
  loadingOlder?: boolean;
  onLoadOlder(): void;
  /** Present when the user may withdraw a held message. */
  onCancelHeld?: (messageId: string) => void;
}) {
  const t = useT(conversationStrings);
  return (
    <Stack gap="xs">
      {hasOlder && (
        <Group justify="center">
          <Button variant="subtle" size="xs" onClick={onLoadOlder} loading={loadingOlder}>
            {t('olderMessages')}
          </Button>
        </Group>
      )}
      {items.length === 0 ? (
        <Text c="gray.7" size="sm">
          {t('threadEmpty')}
        </Text>
      ) : (
        <Box
          component="ol"
          aria-label={t('threadLabel', { name: contactName })}
          m={0}
          p={0}
          style={{ listStyle: 'none' }}
        >
          {items.map((item) =>
            item.direction === 'outbound' ? (
              <OutboundBubble
                key={item.message.id}
                item={item}
                contactName={contactName}
                onCancelHeld={onCancelHeld}
              />
            ) : (
              <InboundBubble key={item.message.id} item={item} contactName={contactName} />
            ),
          )}
        </Box>
      )}
    </Stack>
  );
}

function InboundBubble({ item, contactName }: { item: Inbound; contactName: string }) {
  const t = useT(conversationStrings);
  const f = useFormat();
  const m = item.message;
  const tapped = m.type === 'button' || m.type === 'interactive';
  return (
    <Box
      component="li"
      mb="xs"
      data-direction="inbound"
      style={{ display: 'flex', justifyContent: 'flex-start' }}
    >
      <Paper withBorder radius="md" p="xs" maw="85%" bg="var(--mantine-color-gray-0)">
        <Text size="xs" c="gray.7">
          {contactName} · <time dateTime={item.at}>{f.dateTime(item.at)}</time>
        </Text>
        {tapped ? (
          <Group gap={6}>
            <Badge variant="outline" color="blue.9" size="sm">
              {t('tapped')}
            </Badge>
            <Text size="sm">{m.text ?? m.payload}</Text>
          </Group>
        ) : (
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {m.text ?? t('mediaMessage', { type: m.type })}
          </Text>
        )}
      </Paper>
    </Box>
  );
}

function OutboundBubble({
  item,
  contactName,
  onCancelHeld,
}: {
  item: Outbound;
  contactName: string;
  onCancelHeld?: ((messageId: string) => void) | undefined;
}) {
  const t = useT(conversationStrings);
  const f = useFormat();
  const m = item.message;
  const r = item.rendered;
  return (
    <Box
      component="li"
      mb="xs"
      data-direction="outbound"
      data-status={m.status}
      style={{ display: 'flex', justifyContent: 'flex-end' }}
    >
      <Paper withBorder radius="md" p="xs" maw="85%" bg="var(--mantine-color-green-0)">
        <Group gap={6} justify="space-between" wrap="wrap">
          <Text size="xs" c="gray.7">
            {m.template ? t('templateNamed', { name: m.template.name }) : t('you')} ·{' '}
            <time dateTime={item.at}>{f.dateTime(item.at)}</time>
          </Text>
          <Badge color={STATUS_COLOR[m.status]} autoContrast size="sm" style={{ flexShrink: 0 }}>
            {t(`status_${m.status}`)}
          </Badge>
        </Group>
        {r?.header?.kind === 'text' && (
          <Text size="sm" fw={700}>
            {r.header.text}
          </Text>
        )}
        {r?.header && r.header.kind !== 'text' && (
          <Text size="xs" c="gray.7">
            {t('headerMedia', { kind: r.header.kind })}
          </Text>
        )}
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {item.text ?? t('noText')}
        </Text>
        {r?.footer && (
          <Text size="xs" c="gray.7">
            {r.footer}
          </Text>
        )}
        {r && r.buttons.length > 0 && (
          <Group gap={4} mt={4}>
            {r.buttons.map((b) => (
              <Badge key={`${b.type}:${b.text}`} variant="outline" color="gray.7" size="sm" tt="none">
                {b.text}
              </Badge>
            ))}
          </Group>
        )}
        {m.status === 'failed' && m.error && (
          <Text size="xs" c="red.8" mt={4}>
            {t('failedBecause', {
              reason: m.error.message ?? m.error.class,
              code: m.error.code === null ? '' : ` (${m.error.code})`,
            })}
          </Text>
        )}
        {m.status === 'held' && (
          <Group gap="xs" mt={4} justify="space-between">
            <Text size="xs" c="violet.9">
              {m.released_by
                ? t('heldReleased')
                : t('heldUntilWrites', {
                    name: contactName,
                    until: m.hold_until ? f.dateTime(m.hold_until) : '—',
                  })}
            </Text>
            {onCancelHeld && !m.released_by && (
              <Button size="compact-xs" variant="subtle" color="red" onClick={() => onCancelHeld(m.id)}>
                {t('cancelHeld')}
              </Button>
            )}
          </Group>
        )}
        {m.released_at && m.status !== 'held' && (
          <Text size="xs" c="gray.7" mt={4}>
            {t('releasedAt', { when: f.dateTime(m.released_at) })}
          </Text>
        )}
      </Paper>
    </Box>
  );
}
