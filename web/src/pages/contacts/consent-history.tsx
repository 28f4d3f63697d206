/** A contact's consent ledger, oldest first: who said what, when, and the evidence. */
import { Table, Text } from '@mantine/core';
import type { components } from '../../api/schema';
import { useFormat, useT } from '../../i18n/i18n';
import { contactStrings } from './strings';

type Entry = components['schemas']['ConsentEntry'];

export function ConsentHistory({ history }: { history: Entry[] }) {
  const t = useT(contactStrings);
  const f = useFormat();
  if (history.length === 0) return <Text c="gray.7">{t('consentNone')}</Text>;
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table aria-label={t('consentHistory')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('when')}</Table.Th>
            <Table.Th>{t('scope')}</Table.Th>
            <Table.Th>{t('change')}</Table.Th>
            <Table.Th>{t('source')}</Table.Th>
            <Table.Th>{t('evidence')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {history.map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td>
                <time dateTime={e.at}>{f.dateTime(e.at)}</time>
              </Table.Td>
              <Table.Td>{t(`scope_${e.scope}`)}</Table.Td>
              <Table.Td>{t(e.state === 'opted_out' ? 'optedOut' : 'optedIn')}</Table.Td>
              <Table.Td>{t(`source_${e.source}`)}</Table.Td>
              <Table.Td>
                <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                  {evidenceText(e.evidence)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function evidenceText(evidence: Entry['evidence']): string {
  if (!evidence) return '—';
  return Object.entries(evidence)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}
