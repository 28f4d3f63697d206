/**
 * CSV import, step two: the job as it runs (a progress bar by bytes read, the counts so far),
 * polled every half second until it ends, then the rejected rows with their reasons, a page at a
 * time, and the whole list as a CSV download. The address is the job's, so a reload or a link
 * comes back to it.
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useApiData } from '../../components/use-api-data';
import { useFormat, useT } from '../../i18n/i18n';
import { contactStrings } from './strings';

type Reject = components['schemas']['ImportReject'];
const POLL_MS = 500;

export function ImportProgressPage() {
  const t = useT(contactStrings);
  const fmt = useFormat();
  const id = useParams().id ?? '';
  const job = useApiData(() => unwrap(api.GET('/v1/imports/{id}', { params: { path: { id } } })), [id]);
  const state = job.data?.state;
  const { reload } = job;

  useEffect(() => {
    if (state !== 'running') return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [state, reload]);

  const [more, setMore] = useState<Reject[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const after = next === undefined ? job.data?.rejects_next : next;
  async function loadMore() {
    if (!after) return;
    setLoadingMore(true);
    try {
      const page = await unwrap(
        api.GET('/v1/imports/{id}/rejects', {
          params: { path: { id }, query: { after: Number(after), limit: 100 } },
        }),
      );
      setMore((m) => [...m, ...page.rejects]);
      setNext(page.next);
    } finally {
      setLoadingMore(false);
    }
  }

  if (job.error) {
    return (
      <Alert color="red.9" variant="outline" role="alert" title={t('importFailed')}>
        {job.error.message}
      </Alert>
    );
  }
  const j = job.data;
  if (!j) return <Text>{t('loading')}</Text>;
  const pct = Math.round(j.progress * 100);
  const rejects = [...j.rejects, ...(state === 'running' ? [] : more)];
  return (
    <Stack>
      <Anchor component={Link} to="/contacts" size="sm">
        {t('backToList')}
      </Anchor>
      <Group justify="space-between">
        <Title order={1}>{t('importOf', { file: j.file ?? j.id })}</Title>
        <Badge color={j.state === 'failed' ? 'red.9' : j.state === 'done' ? 'teal.9' : 'blue.9'} size="lg">
          {t(`state_${j.state}`)}
        </Badge>
      </Group>
      <Progress.Root size="xl">
        <Progress.Section
          value={pct}
          color="blue.9"
          aria-label={t('importProgress')}
          animated={j.state === 'running'}
        >
          <Progress.Label>{`${pct}%`}</Progress.Label>
        </Progress.Section>
      </Progress.Root>
      <Text size="sm" role="status" aria-live="polite">
        {j.state === 'running'
          ? t('runningSummary', { rows: fmt.number(j.rows_read) })
          : j.state === 'done'
            ? t('doneSummary', {
                created: fmt.number(j.created),
                updated: fmt.number(j.updated),
                unchanged: fmt.number(j.unchanged),
                rejected: fmt.number(j.rejected),
              })
            : t('failedSummary', { reason: j.error?.message ?? '' })}
      </Text>
      <SimpleGrid cols={{ base: 2, sm: 5 }}>
        {(['rows_read', 'created', 'updated', 'unchanged', 'rejected'] as const).map((k) => (
          <Stack key={k} gap={0}>
            <Text size="xs" c="gray.7">
              {t(`count_${k}`)}
            </Text>
            <Text size="xl" fw={700}>
              {fmt.number(j[k])}
            </Text>
          </Stack>
        ))}
      </SimpleGrid>
      {j.rejected > 0 && (
        <>
          <Group justify="space-between">
            <Title order={2} size="h3">
              {t('rejectedRows')}
            </Title>
            <Anchor href={`/v1/imports/${encodeURIComponent(j.id)}/rejects.csv`} download>
              {t('downloadRejects')}
            </Anchor>
          </Group>
          <Table.ScrollContainer minWidth={560}>
            <Table striped aria-label={t('rejectedRows')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('line')}</Table.Th>
                  <Table.Th>{t('column')}</Table.Th>
                  <Table.Th>{t('reason')}</Table.Th>
                  <Table.Th>{t('value')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rejects.map((r) => (
                  <Table.Tr key={`${r.line}-${r.column}-${r.reason}`}>
                    <Table.Td>{r.line}</Table.Td>
                    <Table.Td>{r.column ?? '—'}</Table.Td>
                    <Table.Td>{r.reason}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{r.value ?? ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {state !== 'running' && after && (
            <Button variant="default" onClick={loadMore} loading={loadingMore}>
              {t('moreRejects')}
            </Button>
          )}
        </>
      )}
    </Stack>
  );
}
