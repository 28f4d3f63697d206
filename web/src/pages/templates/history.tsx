/**
 * A template's history: each review decision (with Meta's reason and explanation), quality
 * rating and recategorisation Recontact received, newest first. Pushes and pulls leave no event,
 * so they are not in it; when our copy last changed is said under it.
 */
import { Button, Stack, Text, Timeline, Title } from '@mantine/core';
import { ApiErrorAlert } from '../../components/api-error';
import { useFormat, useT } from '../../i18n/i18n';
import { useQualityLabel, useRejectionText, useStatusLabel } from './badges';
import { templateStrings } from './strings';
import type { TemplateHistory } from './use-history';
import type { Loaded } from './use-load';

export function HistorySection({
  history,
  onMore,
}: {
  history: Loaded<TemplateHistory | undefined>;
  onMore(): void;
}) {
  const t = useT(templateStrings);
  const fmt = useFormat();
  const rejection = useRejectionText();
  const status = useStatusLabel();
  const quality = useQualityLabel();
  const value = (change: string, v: string | null) =>
    v === null ? '—' : change === 'status' ? status(v) : change === 'quality' ? quality(v) : v;
  const h = history.data;
  const entries = [...(h?.data ?? [])].reverse();
  const what = (change: string) =>
    change === 'status'
      ? t('historyStatus')
      : change === 'quality'
        ? t('historyQuality')
        : t('historyCategory');
  return (
    <Stack component="section" aria-labelledby="template-history-title" gap="sm">
      <Title order={2} size="h3" id="template-history-title">
        {t('history')}
      </Title>
      {history.error && <ApiErrorAlert error={history.error} title={t('historyFailed')} />}
      {h && entries.length === 0 && <Text size="sm">{t('historyEmpty')}</Text>}
      {entries.length > 0 && (
        <Timeline bulletSize={14} lineWidth={2} active={entries.length}>
          {entries.map((e) => (
            <Timeline.Item
              key={e.event_id}
              title={`${what(e.change)}: ${value(e.change, e.from)} → ${value(e.change, e.to)}`}
            >
              <Text size="xs" c="gray.7">
                {fmt.dateTime(e.at)}
              </Text>
              {e.reason && <Text size="sm">{t('rejectedBecause', { reason: rejection(e.reason) })}</Text>}
              {e.details && <Text size="sm">{e.details}</Text>}
            </Timeline.Item>
          ))}
        </Timeline>
      )}
      {h?.has_more && (
        <Button variant="default" w="fit-content" onClick={onMore}>
          {t('historyMore')}
        </Button>
      )}
      {h && (
        <Text size="sm" c="gray.7">
          {t('historyNote', { updated: fmt.dateTime(h.template.updated_at) })}
        </Text>
      )}
    </Stack>
  );
}
