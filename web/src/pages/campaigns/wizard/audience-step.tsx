/**
 * Step 2: who gets it. Everyone, a saved audience, or a filter on tags and the window; the
 * preview (POST /v1/audiences/preview) says how many would receive it, who is left out and why
 * (opted out, no valid number, a value the template needs missing, the frequency cap), and names
 * a few of them. It counts with the template's purpose and the values it needs.
 */
import {
  Alert,
  Card,
  Group,
  List,
  NativeSelect,
  SegmentedControl,
  SimpleGrid,
  Stack,
  TagsInput,
  Text,
  Title,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import { api, unwrap } from '../../../api/client';
import type { components } from '../../../api/schema';
import { ApiErrorAlert } from '../../../components/api-error';
import { useFormat, useT } from '../../../i18n/i18n';
import { reasonLabel } from '../recipients';
import { campaignStrings } from '../strings';
import { useLoad } from '../use-load';
import { type AudienceChoice, audienceJson, needsOf, type WizardState } from './draft';
import { purposeOf, type Template } from './slots';
import { wizardStrings } from './strings';

type Preview = components['schemas']['AudiencePreview'];

const PREVIEW_DEBOUNCE_MS = 400;

/** The audience preview for the wizard's current choice, read again when it changes. */
export function useAudiencePreview(w: WizardState, template: Template | undefined) {
  const account = w.accountId ? { account_id: w.accountId } : {};
  const options = { purpose: purposeOf(template), needs: needsOf(w) };
  const definition = audienceJson(w.audience, w.keptFilter);
  const key = JSON.stringify([definition, options, account]);
  const [debounced, setDebounced] = useState(key);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(key), PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key]);
  return useLoad(async (): Promise<Preview | undefined> => {
    const [def, opts, query] = JSON.parse(debounced) as [
      Record<string, unknown>,
      typeof options,
      typeof account,
    ];
    if (typeof def.audience_id === 'string') {
      if (!def.audience_id) return undefined;
      return unwrap(
        api.POST('/v1/audiences/{id}/preview', {
          params: { path: { id: def.audience_id }, query },
          body: opts,
        }),
      );
    }
    return unwrap(api.POST('/v1/audiences/preview', { params: { query }, body: { ...def, ...opts } }));
  }, [debounced]);
}

export function AudienceStep({
  state: w,
  update,
  template,
}: {
  state: WizardState;
  update: (p: Partial<WizardState>) => void;
  template: Template | undefined;
}) {
  const t = useT(wizardStrings);
  const tc = useT(campaignStrings);
  const f = useFormat();
  const saved = useLoad(
    async () =>
      (
        await unwrap(
          api.GET('/v1/audiences', { params: { query: w.accountId ? { account_id: w.accountId } : {} } }),
        )
      ).data,
    [w.accountId],
  );
  const preview = useAudiencePreview(w, template);
  const a = w.audience;
  const setAudience = (next: AudienceChoice) => update({ audience: next });
  const filter =
    a.kind === 'filter' ? a : { kind: 'filter' as const, tagsAll: [], tagsNone: [], window: '' as const };

  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
      <Stack gap="md">
        {a.kind === 'kept' ? (
          <Alert color="gray">{t('audienceKept')}</Alert>
        ) : (
          <SegmentedControl
            aria-label={t('audienceKind')}
            value={a.kind}
            onChange={(v) =>
              setAudience(
                v === 'all'
                  ? { kind: 'all' }
                  : v === 'saved'
                    ? { kind: 'saved', id: saved.data?.[0]?.id ?? '' }
                    : filter,
              )
            }
            data={[
              { value: 'all', label: t('audienceAll') },
              { value: 'saved', label: t('audienceSaved') },
              { value: 'filter', label: t('audienceFilter') },
            ]}
          />
        )}
        {a.kind === 'saved' && (
          <NativeSelect
            label={t('savedAudience')}
            value={a.id}
            onChange={(e) => setAudience({ kind: 'saved', id: e.currentTarget.value })}
            data={[
              { value: '', label: t('pickOne') },
              ...(saved.data ?? []).map((s) => ({ value: s.id, label: s.name })),
            ]}
          />
        )}
        {a.kind === 'saved' && saved.data?.length === 0 && <Text c="gray.7">{t('noSavedAudiences')}</Text>}
        {a.kind === 'filter' && (
          <>
            <TagsInput
              label={t('tagsAll')}
              value={a.tagsAll}
              onChange={(tagsAll) => setAudience({ ...a, tagsAll })}
              clearable
            />
            <TagsInput
              label={t('tagsNone')}
              value={a.tagsNone}
              onChange={(tagsNone) => setAudience({ ...a, tagsNone })}
              clearable
            />
            <NativeSelect
              label={t('window')}
              value={a.window}
              onChange={(e) => setAudience({ ...a, window: e.currentTarget.value as '' | 'open' | 'closed' })}
              data={[
                { value: '', label: t('windowAny') },
                { value: 'open', label: t('windowOpen') },
                { value: 'closed', label: t('windowClosed') },
              ]}
            />
            {Object.keys(w.keptFilter).length > 0 && (
              <Text size="sm" c="gray.7">
                {t('filterKept', { keys: Object.keys(w.keptFilter).join(', ') })}
              </Text>
            )}
          </>
        )}
      </Stack>
      <Card withBorder padding="md" aria-live="polite" aria-busy={preview.loading}>
        <Title order={2} size="h4">
          {t('whoGetsIt')}
        </Title>
        {preview.error && <ApiErrorAlert error={preview.error} title={t('previewFailed')} />}
        {preview.data && (
          <Stack gap="xs" mt="xs">
            <Text size="xl" fw={700} data-testid="audience-count">
              {t('wouldReceive', { count: f.number(preview.data.count) })}
            </Text>
            <Text size="sm" c="gray.7">
              {t('matched', {
                count: f.number(preview.data.matched),
                purpose: t(`purpose_${preview.data.purpose}`),
              })}
            </Text>
            {Object.entries(preview.data.excluded).some(([, n]) => (n ?? 0) > 0) ? (
              <>
                <Text size="sm" fw={600}>
                  {t('leftOut')}
                </Text>
                <List size="sm">
                  {Object.entries(preview.data.excluded)
                    .filter(([, n]) => (n ?? 0) > 0)
                    .map(([reason, n]) => (
                      <List.Item key={reason}>
                        <Group gap={6} wrap="nowrap">
                          <Text size="sm" fw={500}>
                            {f.number(n ?? 0)}
                          </Text>
                          <Text size="sm">{reasonLabel(tc, reason)}</Text>
                        </Group>
                      </List.Item>
                    ))}
                </List>
              </>
            ) : (
              <Text size="sm">{t('nobodyLeftOut')}</Text>
            )}
            {preview.data.sample.length > 0 && (
              <Text size="sm" c="gray.7">
                {t('forExample', {
                  names: preview.data.sample
                    .slice(0, 5)
                    .map((s) => s.name ?? `+${s.wa_id}`)
                    .join(', '),
                })}
              </Text>
            )}
          </Stack>
        )}
      </Card>
    </SimpleGrid>
  );
}
