/**
 * One launched campaign, live: its state (and why, when paused or failed to start), the funnel
 * (chart and table, kept current by the event stream and a periodic read of the view), the
 * exclusions, the reply rate and cost, the commands, and its recipients with the CSV export.
 * A draft goes to the wizard instead.
 */
import {
  Alert,
  Anchor,
  Card,
  Group,
  Loader,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { lazy, Suspense, useMemo } from 'react';
import { Link, Navigate, useParams } from 'react-router';
import { ApiErrorAlert } from '../../components/api-error';
import { useFormat, useT } from '../../i18n/i18n';
import { CampaignCommands } from './commands';
import { type Campaign, type FunnelRow, funnelRows, targeted } from './funnel';
import { RecipientsTable, reasonLabel } from './recipients';
import { StateBadge } from './state-badge';
import { campaignStrings } from './strings';
import { useLiveCampaign } from './use-live-campaign';

const FunnelChart = lazy(() => import('./funnel-chart'));

export function CampaignPage() {
  const t = useT(campaignStrings);
  const { id = '' } = useParams();
  const live = useLiveCampaign(id);
  const c = live.data;

  if (live.error && !c) return <ApiErrorAlert error={live.error} title={t('loadFailed')} />;
  if (!c) return <Loader aria-label={t('loading')} />;
  if (c.state === 'draft') return <Navigate to={`/campaigns/${c.id}/edit`} replace />;
  return (
    <Stack gap="lg">
      <Anchor component={Link} to="/campaigns" size="sm">
        ← {t('title')}
      </Anchor>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <Stack gap={4}>
          <Group gap="sm" wrap="wrap">
            <Title order={1}>{c.name}</Title>
            <StateBadge state={c.state} />
          </Group>
          <Text c="gray.7" size="sm">
            {c.template.variants.map((v) => `${v.name} (${v.language})`).join(' · ')}
          </Text>
        </Stack>
        <CampaignCommands campaign={c} onDone={live.set} />
      </Group>
      {c.state_reason && (
        <Alert color={c.state === 'failed_to_start' ? 'red' : 'grape'} title={t(`state_${c.state}`)}>
          {c.state_reason}
        </Alert>
      )}
      <Funnel campaign={c} />
      <Outcomes campaign={c} />
      <RecipientsTable campaignId={c.id} version={JSON.stringify(c.counts)} />
    </Stack>
  );
}

function Funnel({ campaign }: { campaign: Campaign }) {
  const t = useT(campaignStrings);
  const f = useFormat();
  const rows = useMemo(() => funnelRows(campaign), [campaign]);
  const total = targeted(campaign);
  const label = (r: FunnelRow) => {
    if (r.kind === 'replied')
      return r.detail
        ? t('funnelRepliedButton', { button: r.detail })
        : t(r.typed ? 'funnelRepliedText' : 'funnelReplied');
    if (r.kind === 'failed') return r.detail ? t('funnelFailedCode', { code: r.detail }) : t('funnelFailed');
    return t(`funnel_${r.kind}`);
  };
  const n = campaign.counts;
  return (
    <Card withBorder padding="md">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h3" id="funnel-title">
            {t('funnelTitle')}
          </Title>
          <Text size="sm" c="gray.7">
            {t('funnelOf', {
              count: f.number(total),
              waiting: f.number(n.pending + n.queued),
              excluded: f.number(n.excluded),
            })}
          </Text>
        </Group>
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
          <Suspense fallback={<Skeleton h={200} />}>
            <FunnelChart rows={rows} label={label} />
          </Suspense>
          <Table aria-labelledby="funnel-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('stage')}</Table.Th>
                <Table.Th ta="right">{t('recipients')}</Table.Th>
                <Table.Th ta="right">{t('share')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.key} data-stage={r.key}>
                  <Table.Th scope="row" fw={r.kind === 'replied' || r.kind === 'failed' ? 400 : 600}>
                    {label(r)}
                    {r.reason && r.detail !== r.reason && (
                      <Text size="xs" c="gray.7">
                        {r.reason}
                      </Text>
                    )}
                  </Table.Th>
                  <Table.Td ta="right">{f.number(r.count)}</Table.Td>
                  <Table.Td ta="right">{total > 0 ? f.percent(r.count / total) : '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

function Outcomes({ campaign: c }: { campaign: Campaign }) {
  const t = useT(campaignStrings);
  const f = useFormat();
  const excluded = Object.entries(c.excluded_by_reason).filter(([, n]) => n > 0);
  const facts: Array<[string, string]> = [
    [t('replyRate'), c.reply_rate === null ? '—' : f.percent(c.reply_rate)],
    [
      t('medianReply'),
      c.median_reply_seconds === null
        ? '—'
        : t('seconds', { n: f.number(Math.round(c.median_reply_seconds)) }),
    ],
    [t('cost'), c.cost ? `${c.cost.total_usd} USD` : '—'],
    [t('launched'), c.launched_at ? f.dateTime(c.launched_at) : '—'],
    [t('finished'), c.finished_at ? f.dateTime(c.finished_at) : '—'],
  ];
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="lg">
      <Card withBorder padding="md">
        <Title order={2} size="h4" mb="xs">
          {t('results')}
        </Title>
        <dl style={{ margin: 0 }}>
          {facts.map(([k, v]) => (
            <Group key={k} justify="space-between" wrap="nowrap" gap="xs">
              <Text component="dt" size="sm" c="gray.7">
                {k}
              </Text>
              <Text component="dd" size="sm" fw={500} m={0}>
                {v}
              </Text>
            </Group>
          ))}
        </dl>
        {c.cost && c.cost.basis !== 'none' && (
          <Text size="xs" c="gray.7" mt="xs">
            {t(`costBasis_${c.cost.basis}`)}
          </Text>
        )}
      </Card>
      <Card withBorder padding="md">
        <Title order={2} size="h4" mb="xs">
          {t('excludedTitle')}
        </Title>
        {excluded.length === 0 ? (
          <Text size="sm" c="gray.7">
            {t('noneExcluded')}
          </Text>
        ) : (
          <dl style={{ margin: 0 }}>
            {excluded.map(([reason, n]) => (
              <Group key={reason} justify="space-between" wrap="nowrap" gap="xs">
                <Text component="dt" size="sm">
                  {reasonLabel(t, reason)}
                </Text>
                <Text component="dd" size="sm" fw={500} m={0}>
                  {f.number(n)}
                </Text>
              </Group>
            ))}
          </dl>
        )}
      </Card>
    </SimpleGrid>
  );
}
