/**
 * A campaign's recipients, page by page, filtered by state, each with why it is where it is;
 * and the CSV export of the same selection (a plain download of /recipients.csv, which streams
 * every row: the session cookie goes with it).
 */
import { Anchor, Button, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { ApiErrorAlert } from '../../components/api-error';
import { useFormat, useT } from '../../i18n/i18n';
import { type CampaignKey, campaignStrings } from './strings';
import { useLoad } from './use-load';

type Recipient = components['schemas']['CampaignRecipient'];
type RecipientPage = components['schemas']['CampaignRecipientList'];

export const RECIPIENT_FILTERS = [
  'pending',
  'queued',
  'sent',
  'delivered',
  'read',
  'replied',
  'failed',
  'excluded',
  'opted_out',
  'expired',
  'cancelled',
] as const;

const PAGE = 50;

export function RecipientsTable({ campaignId, version }: { campaignId: string; version: string }) {
  const t = useT(campaignStrings);
  const f = useFormat();
  const [state, setState] = useState('');
  const [extra, setExtra] = useState<Recipient[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  // `version` moves when the campaign does: the first page is read again with it.
  const first = useLoad(async () => {
    // The route also answers CSV (Accept: text/csv); asked for JSON, it is a page.
    const page = (await unwrap(
      api.GET('/v1/campaigns/{id}/recipients', {
        params: { path: { id: campaignId }, query: { limit: PAGE, ...(state ? { state } : {}) } },
      }),
    )) as RecipientPage;
    setExtra([]);
    setCursor(undefined);
    return page;
  }, [campaignId, state, version]);
  const next = cursor === undefined ? first.data?.next_cursor : cursor;

  const more = async () => {
    if (!next) return;
    const page = (await unwrap(
      api.GET('/v1/campaigns/{id}/recipients', {
        params: {
          path: { id: campaignId },
          query: { limit: PAGE, cursor: next, ...(state ? { state } : {}) },
        },
      }),
    )) as RecipientPage;
    setExtra((e) => [...e, ...page.data]);
    setCursor(page.next_cursor);
  };

  const rows = [...(first.data?.data ?? []), ...extra];
  const csv = `/v1/campaigns/${encodeURIComponent(campaignId)}/recipients.csv${state ? `?state=${state}` : ''}`;
  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={2} size="h3">
          {t('recipientsTitle')}
        </Title>
        <Group align="flex-end" wrap="wrap" gap="xs">
          <NativeSelect
            label={t('recipientState')}
            value={state}
            onChange={(e) => setState(e.currentTarget.value)}
            data={[
              { value: '', label: t('allRecipients') },
              ...RECIPIENT_FILTERS.map((s) => ({ value: s, label: t(`recipient_${s}`) })),
            ]}
          />
          <Button component="a" href={csv} download variant="default">
            {t('exportCsv')}
          </Button>
        </Group>
      </Group>
      {first.error && <ApiErrorAlert error={first.error} title={t('loadFailed')} />}
      {first.data && rows.length === 0 && <Text c="gray.7">{t('noRecipients')}</Text>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={760}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('contact')}</Table.Th>
                <Table.Th>{t('stateColumn')}</Table.Th>
                <Table.Th>{t('reason')}</Table.Th>
                <Table.Th>{t('reply')}</Table.Th>
                <Table.Th>{t('sendAt')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.contact_id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Anchor component={Link} to={`/contacts/${r.contact_id}`}>
                      {r.name ?? `+${r.wa_id}`}
                    </Anchor>
                    {r.name && (
                      <Text size="xs" c="gray.7">
                        +{r.wa_id}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Text size="sm" fw={500}>
                      {t(`recipient_${r.state}`)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{r.reason ? reasonLabel(t, r.reason) : ''}</Text>
                  </Table.Td>
                  <Table.Td>
                    {r.replied_at && (
                      <Text size="sm">
                        {r.reply_payload ?? t('textReply')} · {f.dateTime(r.replied_at)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{r.send_at ? f.dateTime(r.send_at) : '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {next && (
        <Button variant="default" onClick={() => void more()} style={{ alignSelf: 'center' }}>
          {t('loadMore')}
        </Button>
      )}
    </Stack>
  );
}

const REASONS = new Set([
  'erased',
  'opted_out',
  'invalid_number',
  'missing_value',
  'frequency_cap',
  'duplicate',
  'not_found',
]);

/** An exclusion reason in words, when it is one the app knows; else as the API said it. */
export function reasonLabel(t: (key: CampaignKey) => string, reason: string): string {
  return REASONS.has(reason) ? t(`reason_${reason}` as CampaignKey) : reason;
}
