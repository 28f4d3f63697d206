/**
 * Step 5: the plan before anything is sent (POST /v1/campaigns/{id}/plan, on the saved draft):
 * how many, who is left out and why, when the first and last sends go, how long at the pace,
 * Meta's messaging limit, what it would cost at the rate card, what a launch would refuse —
 * then the launch, confirmed. The campaign's live page opens once it is launched.
 */
import {
  Alert,
  Button,
  Card,
  Group,
  List,
  Modal,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../../api/client';
import type { ApiError } from '../../../api/errors';
import { ApiErrorAlert } from '../../../components/api-error';
import { useFormat, useT } from '../../../i18n/i18n';
import { reasonLabel } from '../recipients';
import { campaignStrings } from '../strings';
import { asApiError, useLoad } from '../use-load';
import { wizardStrings } from './strings';

export function PlanStep({ id }: { id: string }) {
  const t = useT(wizardStrings);
  const tc = useT(campaignStrings);
  const f = useFormat();
  const navigate = useNavigate();
  const plan = useLoad(() => unwrap(api.POST('/v1/campaigns/{id}/plan', { params: { path: { id } } })), [id]);
  const [confirming, setConfirming] = useState(false);
  const [launching, setLaunching] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();

  const launch = async () => {
    setLaunching(true);
    setError(undefined);
    try {
      await unwrap(api.POST('/v1/campaigns/{id}/launch', { params: { path: { id } } }));
      navigate(`/campaigns/${id}`);
    } catch (e) {
      setError(asApiError(e));
      setLaunching(false);
    }
  };

  if (plan.error) return <ApiErrorAlert error={plan.error} title={t('planFailed')} />;
  const p = plan.data;
  if (!p) return <Text c="gray.7">{t('planning')}</Text>;
  const excluded = Object.entries(p.excluded).filter(([, n]) => (n ?? 0) > 0);
  const time = (iso: string | null) => (iso ? f.dateTime(iso) : '—');
  const duration = formatDuration(p.eta.sending_seconds);

  return (
    <Stack gap="lg">
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        <Fact label={t('planRecipients')} value={f.number(p.recipients)} testId="plan-recipients" />
        <Fact label={t('planStarts')} value={time(p.eta.starts_at)} />
        <Fact label={t('planEta')} value={`${duration} · ${time(p.eta.finishes_at)}`} />
        <Fact label={t('planCost')} value={`${p.cost.total_usd} ${p.cost.currency}`} testId="plan-cost" />
      </SimpleGrid>
      {p.warnings.length > 0 && (
        <Alert color="orange" title={t('warnings')}>
          <List size="sm">
            {p.warnings.map((w) => (
              <List.Item key={w}>{w}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            {t('whoAndWhen')}
          </Title>
          <Stack gap={4}>
            <Text size="sm">
              {t('matched', { count: f.number(p.matched), purpose: t(`purpose_${p.purpose}`) })}
            </Text>
            {excluded.map(([reason, n]) => (
              <Text size="sm" key={reason}>
                {t('planExcluded', { count: f.number(n ?? 0), reason: reasonLabel(tc, reason) })}
              </Text>
            ))}
            <Text size="sm">
              {t('planWindow', {
                first: time(p.schedule.first_send_at),
                last: time(p.schedule.last_send_at),
              })}
            </Text>
            {p.schedule.expires_at && (
              <Text size="sm">
                {t('planExpiry', { at: time(p.schedule.expires_at), count: f.number(p.schedule.expiring) })}
              </Text>
            )}
            <Text size="sm">
              {t('planPace', {
                pace: f.number(p.eta.pace_per_second),
                limit:
                  p.messaging_limit.limit === 'unlimited'
                    ? t('unlimited')
                    : f.number(p.messaging_limit.limit),
                waiting: f.number(p.messaging_limit.waiting),
              })}
            </Text>
            {p.template.variants.map((v) => (
              <Text size="sm" key={v.label}>
                {t('planTemplate', { name: v.name, language: v.language, status: v.status ?? t('unknown') })}
              </Text>
            ))}
          </Stack>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            {t('costTitle')}
          </Title>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('market')}</Table.Th>
                <Table.Th ta="right">{t('messages')}</Table.Th>
                <Table.Th ta="right">{t('unitPrice')}</Table.Th>
                <Table.Th ta="right">USD</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {p.cost.by_market.map((m) => (
                <Table.Tr key={`${m.market}-${m.category}`}>
                  <Table.Td>{m.market}</Table.Td>
                  <Table.Td ta="right">{f.number(m.messages)}</Table.Td>
                  <Table.Td ta="right">{m.unit_usd}</Table.Td>
                  <Table.Td ta="right">{m.usd}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Text size="xs" c="gray.7" mt="xs">
            {t('costNote', { date: p.cost.card.effective_from })}
          </Text>
        </Card>
      </SimpleGrid>
      <Group justify="flex-end">
        <Button size="md" onClick={() => setConfirming(true)} disabled={!p.template.ready}>
          {t('launch')}
        </Button>
      </Group>
      {!p.template.ready && <Text c="red.9">{t('notReady')}</Text>}
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={t('launchTitle')} centered>
        <Stack>
          <Text size="sm">
            {t('launchText', { count: f.number(p.recipients), starts: time(p.eta.starts_at) })}
          </Text>
          {error && <ApiErrorAlert error={error} title={t('launchFailed')} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              {t('notYet')}
            </Button>
            <Button loading={launching} onClick={() => void launch()}>
              {t('launchNow')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="sm" c="gray.7">
        {label}
      </Text>
      <Text size="lg" fw={700} data-testid={testId}>
        {value}
      </Text>
    </Card>
  );
}

/** "3 s", "4 min 10 s", "2 h 5 min". */
function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}
