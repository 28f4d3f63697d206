/**
 * The campaigns, newest first: state, how far each got (recipients, sent, delivered, read,
 * replied), when it was created and launched. A draft opens in the wizard where it was left; a
 * launched one opens its live page.
 */
import { Anchor, Button, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useSession } from '../../app/session';
import { ApiErrorAlert } from '../../components/api-error';
import { useFormat, useT } from '../../i18n/i18n';
import { StateBadge } from './state-badge';
import { campaignStrings } from './strings';
import { useLoad } from './use-load';

type Summary = components['schemas']['CampaignSummary'];

const FILTERS = {
  all: undefined,
  active: 'scheduled,running,paused',
  draft: 'draft',
  finished: 'completed,cancelled,expired,failed_to_start',
} as const;
type Filter = keyof typeof FILTERS;

export function campaignHref(c: Pick<Summary, 'id' | 'state'>): string {
  return c.state === 'draft' ? `/campaigns/${c.id}/edit` : `/campaigns/${c.id}`;
}

export function CampaignListPage() {
  const t = useT(campaignStrings);
  const f = useFormat();
  const { can } = useSession();
  const [filter, setFilter] = useState<Filter>('all');
  const [pages, setPages] = useState<Summary[][]>([]);
  const first = useLoad(async () => {
    const state = FILTERS[filter];
    const page = await unwrap(api.GET('/v1/campaigns', { params: { query: state ? { state } : {} } }));
    setPages([]);
    return page;
  }, [filter]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const cursor = next === undefined ? first.data?.next_cursor : next;

  const more = async () => {
    if (!cursor) return;
    const state = FILTERS[filter];
    const page = await unwrap(
      api.GET('/v1/campaigns', { params: { query: { cursor, ...(state ? { state } : {}) } } }),
    );
    setPages((p) => [...p, page.data]);
    setNext(page.next_cursor);
  };

  const rows = [...(first.data?.data ?? []), ...pages.flat()];
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('title')}</Title>
        {can('sender') && (
          <Button component={Link} to="/campaigns/new">
            {t('newCampaign')}
          </Button>
        )}
      </Group>
      <SegmentedControl
        aria-label={t('show')}
        value={filter}
        onChange={(v) => {
          setNext(undefined);
          setFilter(v as Filter);
        }}
        data={(Object.keys(FILTERS) as Filter[]).map((k) => ({ value: k, label: t(`filter_${k}`) }))}
        w={{ base: '100%', sm: 'auto' }}
      />
      {first.error && <ApiErrorAlert error={first.error} title={t('loadFailed')} />}
      {first.data && rows.length === 0 && <Text c="gray.7">{t('noCampaigns')}</Text>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('name')}</Table.Th>
                <Table.Th>{t('stateColumn')}</Table.Th>
                <Table.Th ta="right">{t('recipients')}</Table.Th>
                <Table.Th ta="right">{t('sentColumn')}</Table.Th>
                <Table.Th ta="right">{t('readColumn')}</Table.Th>
                <Table.Th ta="right">{t('repliedColumn')}</Table.Th>
                <Table.Th>{t('created')}</Table.Th>
                <Table.Th>{t('launched')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((c) => {
                const n = c.counts;
                return (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Anchor component={Link} to={campaignHref(c)} fw={500}>
                        {c.name}
                      </Anchor>
                      <Text size="xs" c="gray.7">
                        {c.template.name}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <StateBadge state={c.state} />
                    </Table.Td>
                    <Table.Td ta="right">{f.number(n.recipients - n.excluded)}</Table.Td>
                    <Table.Td ta="right">{f.number(n.accepted + n.sent + n.delivered + n.read)}</Table.Td>
                    <Table.Td ta="right">{f.number(n.read)}</Table.Td>
                    <Table.Td ta="right">{f.number(n.replied)}</Table.Td>
                    <Table.Td>{f.dateTime(c.created_at)}</Table.Td>
                    <Table.Td>{c.launched_at ? f.dateTime(c.launched_at) : '—'}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {cursor && (
        <Button variant="default" onClick={() => void more()} style={{ alignSelf: 'center' }}>
          {t('loadMore')}
        </Button>
      )}
    </Stack>
  );
}
