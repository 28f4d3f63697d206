/**
 * The contact book: search and filters, a page of contacts at a time (the API's keyset cursor;
 * the cursors seen are kept so "previous" needs no offset), each linking to its page.
 */
import { Alert, Anchor, Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useMemo, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../app/session';
import { useApiData } from '../../components/use-api-data';
import { WindowCountdown } from '../../components/window-countdown';
import { useT } from '../../i18n/i18n';
import { ConsentBadge } from './consent-badge';
import {
  ContactFilterForm,
  type ContactFilters,
  contactQuery,
  filtersFromParams,
  paramsFromFilters,
} from './contact-filters';
import { contactStrings } from './strings';

const PAGE_SIZE = 25;

export function ContactListPage() {
  const t = useT(contactStrings);
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const erased = (useLocation().state as { erased?: string } | null)?.erased;
  const filters = useMemo(() => filtersFromParams(params), [params]);
  // Cursors of the pages before the one shown; the last is the current page's.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const query = useMemo(() => contactQuery(filters), [filters]);

  const list = useApiData(
    () =>
      unwrap(
        api.GET('/v1/contacts', {
          params: { query: { ...query, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [query, cursor],
  );

  const onFilters = useCallback(
    (f: ContactFilters) => {
      setCursors([]);
      setParams(paramsFromFilters(f), { replace: true });
    },
    [setParams],
  );

  const contacts = list.data?.data ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t('title')}</Title>
        {can('sender') && (
          <Button component={Link} to="/contacts/import">
            {t('importCsv')}
          </Button>
        )}
      </Group>
      {erased && (
        <Alert color="teal.9" variant="outline" role="status">
          {t('erasedNotice', { name: erased })}
        </Alert>
      )}
      <ContactFilterForm value={filters} onChange={onFilters} />
      {list.error && (
        <Alert color="red.9" variant="outline" role="alert" title={t('listFailed')}>
          {list.error.message}
          {list.error.hint ? ` ${list.error.hint}` : ''}
        </Alert>
      )}
      <Text size="sm" role="status" aria-live="polite">
        {list.loading && !list.data
          ? t('loading')
          : t('pageCount', { count: contacts.length, page: cursors.length + 1 })}
      </Text>
      <Table.ScrollContainer minWidth={720}>
        <Table striped highlightOnHover aria-label={t('title')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('name')}</Table.Th>
              <Table.Th>{t('phone')}</Table.Th>
              <Table.Th>{t('tags')}</Table.Th>
              <Table.Th>{t('window')}</Table.Th>
              <Table.Th>{t('consent')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {contacts.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/contacts/${c.id}`}>
                    {c.name ?? t('noName')}
                  </Anchor>
                </Table.Td>
                <Table.Td>{c.phone ?? c.wa_id}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {c.tags.map((tag) => (
                      <Badge key={tag} variant="outline" color="gray.7" size="sm" tt="none">
                        {tag}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <WindowCountdown window={c.window} compact />
                </Table.Td>
                <Table.Td>
                  <ConsentBadge consent={c.consent} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!list.loading && contacts.length === 0 && <Text c="gray.7">{t('noContacts')}</Text>}
      <Group justify="space-between">
        <Button
          variant="default"
          disabled={cursors.length === 0}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          {t('previousPage')}
        </Button>
        <Button
          variant="default"
          disabled={!list.data?.next_cursor}
          onClick={() => {
            const next = list.data?.next_cursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          {t('nextPage')}
        </Button>
      </Group>
    </Stack>
  );
}
