/** One conversation in the agent's lists: who, the window, what they wait for, what they said last. */
import { Anchor, Badge, Group, Paper, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { components } from '../../api/schema';
import { WindowCountdown } from '../../components/window-countdown';
import { useFormat, useT } from '../../i18n/i18n';
import { conversationPageStrings } from './strings';

type Item = components['schemas']['ConversationItem'];

export function ConversationCard({ item, onWindowClosed }: { item: Item; onWindowClosed?: () => void }) {
  const t = useT(conversationPageStrings);
  const f = useFormat();
  const c = item.contact;
  const w = item.waiting;
  const name = c.name ?? c.phone ?? c.wa_id;
  return (
    <Paper component="li" withBorder p="sm" radius="md" style={{ listStyle: 'none' }}>
      <Stack gap={6}>
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Anchor component={Link} to={`/conversations/${c.id}`} fw={700}>
            {name}
          </Anchor>
          <WindowCountdown
            window={c.window}
            compact
            {...(onWindowClosed ? { onClosed: onWindowClosed } : {})}
          />
        </Group>
        {w && (
          <Group gap="xs" wrap="wrap">
            <Badge color="violet.9" size="sm">
              {t(`waiting_${w.state}`)}
            </Badge>
            <Text size="sm">{t('waitingFor', { reason: w.reason, since: f.dateTime(w.since) })}</Text>
          </Group>
        )}
        {w?.question && (
          <Text size="sm" fs="italic" style={{ overflowWrap: 'anywhere' }}>
            “{w.question}”
          </Text>
        )}
        {item.last_inbound && (
          <Text size="sm" c="gray.7" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
            {t('lastSaid', {
              when: f.dateTime(item.last_inbound.received_at),
              text: item.last_inbound.text ?? '',
            })}
          </Text>
        )}
        {item.held > 0 && (
          <Badge color="violet.9" variant="outline" size="sm">
            {t('heldCount', { count: item.held })}
          </Badge>
        )}
      </Stack>
    </Paper>
  );
}
