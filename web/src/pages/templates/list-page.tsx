/**
 * The templates of an account: name, language, category, review status, quality and Meta's
 * rejection reason in full; filtered by status and by text; pulled from Meta on demand. Review
 * changes arrive as template.* events and the list reloads itself; while a template is pending
 * it also asks again every few seconds, in case the event stream is not reachable.
 */
import {
  Alert,
  Anchor,
  Button,
  Card,
  Center,
  Group,
  Loader,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useEffect, useMemo, useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useSession } from '../../app/session';
import { ApiErrorAlert } from '../../components/api-error';
import { useEventStream } from '../../events/use-event-stream';
import { useFormat, useT } from '../../i18n/i18n';
import { AccountPicker, accountQuery, accountSuffix, useAccountParam } from './account';
import { QualityBadge, StatusBadge, useRejectionText, useStatusLabel } from './badges';
import { PUSH_ROLE } from './roles';
import { templateStrings } from './strings';
import { asApiError, useLoad } from './use-load';

type Template = components['schemas']['Template'];
type PullReport = components['schemas']['TemplatePull'];

export const TEMPLATE_EVENTS = ['template.status', 'template.quality', 'template.category'];
const PENDING_POLL_MS = 3_000;

function templateHref(t: Template, account: string | undefined): string {
  return `/templates/${encodeURIComponent(t.name)}/${encodeURIComponent(t.language)}${accountSuffix(account)}`;
}

export function TemplateListPage() {
  const t = useT(templateStrings);
  const fmt = useFormat();
  const { can } = useSession();
  const account = useAccountParam();
  const narrow = useMediaQuery('(max-width: 48em)');
  const rejection = useRejectionText();
  const statusLabel = useStatusLabel();
  const list = useLoad(
    async () => (await unwrap(api.GET('/v1/templates', { params: { query: accountQuery(account) } }))).data,
    [account],
  );
  const [text, setText] = useState('');
  const [status, setStatus] = useState('');
  const [pulling, setPulling] = useState(false);
  const [pulled, setPulled] = useState<PullReport | undefined>(undefined);
  const [pullError, setPullError] = useState<ReturnType<typeof asApiError> | undefined>(undefined);

  useEventStream(TEMPLATE_EVENTS, () => list.reload());
  const anyPending = list.data?.some((x) => x.status === 'PENDING') ?? false;
  useEffect(() => {
    if (!anyPending) return;
    const timer = setInterval(list.reload, PENDING_POLL_MS);
    return () => clearInterval(timer);
  }, [anyPending, list.reload]);

  const statuses = useMemo(() => [...new Set((list.data ?? []).map((x) => x.status))].sort(), [list.data]);
  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    return (list.data ?? []).filter(
      (x) =>
        (!status || x.status === status) &&
        (!q ||
          x.name.toLowerCase().includes(q) ||
          x.language.toLowerCase().includes(q) ||
          x.category.toLowerCase().includes(q)),
    );
  }, [list.data, text, status]);

  async function pull() {
    setPulling(true);
    setPullError(undefined);
    setPulled(undefined);
    try {
      setPulled(await unwrap(api.POST('/v1/templates/pull', { params: { query: accountQuery(account) } })));
      list.reload();
    } catch (e) {
      setPullError(asApiError(e));
    } finally {
      setPulling(false);
    }
  }

  const canPull = can(PUSH_ROLE);

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Title order={1}>{t('title')}</Title>
        <Group>
          <Button
            variant="default"
            onClick={pull}
            loading={pulling}
            disabled={!canPull}
            {...(canPull ? {} : { 'aria-describedby': 'templates-pull-role' })}
          >
            {t('pull')}
          </Button>
          <Button component={RouterLink} to={`/templates/new${accountSuffix(account)}`}>
            {t('newTemplate')}
          </Button>
        </Group>
      </Group>
      {!canPull && (
        <Text size="sm" c="gray.7" id="templates-pull-role">
          {t('needsAdminPull')}
        </Text>
      )}
      <Group align="flex-end">
        <AccountPicker />
        <TextInput
          label={t('search')}
          placeholder={t('searchPlaceholder')}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          w={{ base: '100%', sm: 260 }}
        />
        <NativeSelect
          label={t('statusFilter')}
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value)}
          data={[
            { value: '', label: t('allStatuses') },
            ...statuses.map((s) => ({ value: s, label: statusLabel(s) })),
          ]}
          w={{ base: '100%', sm: 200 }}
        />
      </Group>
      {pulled && (
        <Alert
          color="green"
          title={t('pulled')}
          role="status"
          withCloseButton
          closeButtonLabel={t('close')}
          onClose={() => setPulled(undefined)}
        >
          {t('pullSummary', {
            atMeta: pulled.at_meta,
            added: pulled.added,
            changed: pulled.changed,
            deleted: pulled.deleted,
          })}
        </Alert>
      )}
      {pullError && <ApiErrorAlert error={pullError} title={t('pullFailed')} />}
      {list.error && <ApiErrorAlert error={list.error} title={t('loadFailed')} />}
      {list.loading && !list.data && (
        <Center p="xl">
          <Loader aria-label={t('loading')} />
        </Center>
      )}
      {list.data && list.data.length === 0 && (
        <Card withBorder>
          <Text fw={600}>{t('emptyTitle')}</Text>
          <Text size="sm">{t('emptyText')}</Text>
        </Card>
      )}
      {list.data && list.data.length > 0 && shown.length === 0 && <Text>{t('noMatch')}</Text>}
      {shown.length > 0 &&
        (narrow ? (
          <Stack
            gap="sm"
            aria-label={t('title')}
            component="ul"
            style={{ listStyle: 'none', padding: 0, margin: 0 }}
          >
            {shown.map((x) => (
              <Card component="li" withBorder key={`${x.name}/${x.language}`} padding="sm">
                <Anchor component={RouterLink} to={templateHref(x, account)} fw={600}>
                  {x.name}
                </Anchor>
                <Text size="sm" c="gray.7">
                  {x.language} · {x.category}
                </Text>
                <Group gap="xs" mt={6}>
                  <StatusBadge status={x.status} />
                  <QualityBadge score={x.quality_score} />
                </Group>
                {x.rejected_reason && (
                  <Text size="sm" mt={6}>
                    {t('rejectedBecause', { reason: rejection(x.rejected_reason) })}
                  </Text>
                )}
              </Card>
            ))}
          </Stack>
        ) : (
          <Table striped highlightOnHover>
            <Table.Caption c="gray.7">
              {t('count', { count: fmt.number(shown.length), total: fmt.number(list.data?.length ?? 0) })}
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('name')}</Table.Th>
                <Table.Th scope="col">{t('language')}</Table.Th>
                <Table.Th scope="col">{t('category')}</Table.Th>
                <Table.Th scope="col">{t('status')}</Table.Th>
                <Table.Th scope="col">{t('quality')}</Table.Th>
                <Table.Th scope="col">{t('updated')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((x) => (
                <Table.Tr key={`${x.name}/${x.language}`}>
                  <Table.Td>
                    <Anchor component={RouterLink} to={templateHref(x, account)}>
                      {x.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{x.language}</Table.Td>
                  <Table.Td>{x.category}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={x.status} />
                    {x.rejected_reason && (
                      <Text size="sm" mt={4} maw={420}>
                        {t('rejectedBecause', { reason: rejection(x.rejected_reason) })}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <QualityBadge score={x.quality_score} />
                  </Table.Td>
                  <Table.Td>{fmt.dateTime(x.updated_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Stack>
  );
}
