/**
 * The agent's desk: who is waiting for an answer (longest wait first) and whose window closes
 * soon (soonest first, counting down), both kept current by the event stream: a contact who
 * writes, is marked waiting or cleared, or whose window moves, shows up or leaves at once.
 */
import { Alert, NativeSelect, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useContactEvents } from '../../components/contact-events';
import { useApiData } from '../../components/use-api-data';
import { useT } from '../../i18n/i18n';
import { ConversationCard } from './conversation-card';
import { conversationPageStrings } from './strings';

const WITHIN = ['PT1H', 'PT4H', 'P1D'] as const;

export function ConversationsPage() {
  const t = useT(conversationPageStrings);
  const [within, setWithin] = useState<(typeof WITHIN)[number]>('PT4H');
  const waiting = useApiData(
    () => unwrap(api.GET('/v1/conversations/waiting', { params: { query: { limit: 100 } } })),
    [],
  );
  const closing = useApiData(
    () => unwrap(api.GET('/v1/conversations/closing', { params: { query: { within, limit: 100 } } })),
    [within],
  );
  useContactEvents(undefined, () => {
    waiting.reload();
    closing.reload();
  });

  return (
    <Stack>
      <Title order={1}>{t('title')}</Title>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Stack component="section" aria-labelledby="waiting-title" gap="sm">
          <Title order={2} size="h3" id="waiting-title">
            {t('waitingTitle')}
          </Title>
          <Text size="sm" c="gray.7">
            {t('waitingHelp')}
          </Text>
          {waiting.error && (
            <Alert color="red.9" variant="outline" role="alert">
              {waiting.error.message}
            </Alert>
          )}
          <Text size="sm" role="status" aria-live="polite">
            {waiting.data ? t('waitingCount', { count: waiting.data.data.length }) : t('loading')}
          </Text>
          <Stack component="ul" gap="sm" p={0} m={0} aria-labelledby="waiting-title">
            {waiting.data?.data.map((item) => (
              <ConversationCard key={item.contact.id} item={item} onWindowClosed={waiting.reload} />
            ))}
          </Stack>
        </Stack>
        <Stack component="section" aria-labelledby="closing-title" gap="sm">
          <Title order={2} size="h3" id="closing-title">
            {t('closingTitle')}
          </Title>
          <NativeSelect
            label={t('closingWithin')}
            value={within}
            onChange={(e) => setWithin(e.currentTarget.value as (typeof WITHIN)[number])}
            data={WITHIN.map((w) => ({ value: w, label: t(`within_${w}`) }))}
          />
          {closing.error && (
            <Alert color="red.9" variant="outline" role="alert">
              {closing.error.message}
            </Alert>
          )}
          <Text size="sm" role="status" aria-live="polite">
            {closing.data ? t('closingCount', { count: closing.data.data.length }) : t('loading')}
          </Text>
          <Stack component="ul" gap="sm" p={0} m={0} aria-labelledby="closing-title">
            {closing.data?.data.map((item) => (
              <ConversationCard key={item.contact.id} item={item} onWindowClosed={closing.reload} />
            ))}
          </Stack>
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
