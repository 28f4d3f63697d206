/**
 * Step 3: where each of the template's values comes from — a contact field, a contact attribute
 * (with a fallback, or the contact is left out as missing_value), or one fixed value — and what
 * a few real recipients would get: the plan route fills the template for one contact (POST
 * /v1/campaigns/plan?contact=), the preview route renders it (POST /v1/templates/preview), and
 * the phone bubble draws it.
 */
import {
  Alert,
  Autocomplete,
  Card,
  Group,
  NativeSelect,
  SegmentedControl,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { api, unwrap } from '../../../api/client';
import { ApiErrorAlert } from '../../../components/api-error';
import { bubbleFromPreview, MessageBubble, PhoneFrame } from '../../../components/phone';
import { useT } from '../../../i18n/i18n';
import { useLoad } from '../use-load';
import { useAudiencePreview } from './audience-step';
import { type ContactField, definitionOf, emptySource, type ValueSource, type WizardState } from './draft';
import { hint } from './hint';
import type { Slot, Template } from './slots';
import { wizardStrings } from './strings';

const PREVIEW_DEBOUNCE_MS = 500;
const SAMPLE = 3;

type SourceOption = 'field:first_name' | 'field:name' | 'field:phone' | 'attribute' | 'constant';

const optionOf = (v: ValueSource): SourceOption => (v.kind === 'field' ? `field:${v.field}` : v.kind);

export function MappingStep({
  state: w,
  update,
  template,
  slots,
}: {
  state: WizardState;
  update: (p: Partial<WizardState>) => void;
  template: Template | undefined;
  slots: Slot[];
}) {
  const t = useT(wizardStrings);
  const attributes = useLoad(async () => {
    const page = await unwrap(
      api.GET('/v1/contacts', {
        params: { query: { limit: 100, ...(w.accountId ? { account_id: w.accountId } : {}) } },
      }),
    );
    return [...new Set(page.data.flatMap((c) => Object.keys(c.attributes ?? {})))].sort();
  }, [w.accountId]);
  const setValue = (key: string, v: ValueSource) => update({ values: { ...w.values, [key]: v } });

  if (w.split) return <Alert color="gray">{t('splitValues')}</Alert>;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
      <Stack gap="md">
        {slots.length === 0 && <Text c="gray.7">{t('noValues')}</Text>}
        {slots.map((s) => (
          <SlotEditor
            key={s.key}
            slot={s}
            value={w.values[s.key] ?? emptySource()}
            attributes={attributes.data ?? []}
            onChange={(v) => setValue(s.key, v)}
          />
        ))}
      </Stack>
      <RecipientPreviews state={w} template={template} slots={slots} />
    </SimpleGrid>
  );
}

function slotTitle(t: ReturnType<typeof useT<keyof (typeof wizardStrings)['en']>>, s: Slot): string {
  switch (s.place) {
    case 'header_text':
      return t('slotHeaderText', { label: s.label });
    case 'header_media':
      return t('slotHeaderMedia', { kind: s.label });
    case 'body':
      return t('slotBody', { label: s.label });
    case 'url_suffix':
      return t('slotUrl', { label: s.label });
    case 'coupon_code':
      return t('slotCoupon');
    case 'payload':
      return t('slotPayload', { label: s.label });
  }
}

function SlotEditor({
  slot: s,
  value: v,
  attributes,
  onChange,
}: {
  slot: Slot;
  value: ValueSource;
  attributes: string[];
  onChange: (v: ValueSource) => void;
}) {
  const t = useT(wizardStrings);
  const title = slotTitle(t, s);
  if (s.place === 'header_media')
    return (
      <TextInput
        label={title}
        {...hint(t('mediaLink'))}
        value={v.value}
        onChange={(e) => onChange({ ...v, kind: 'constant', value: e.currentTarget.value })}
        type="url"
      />
    );
  const personal = s.place !== 'coupon_code';
  return (
    <Card withBorder padding="sm" component="fieldset" aria-label={title}>
      <Text fw={600} size="sm" mb={6} component="legend">
        {title}
      </Text>
      <Group align="flex-end" gap="xs" wrap="wrap">
        <NativeSelect
          label={t('source')}
          value={optionOf(v)}
          onChange={(e) => {
            const o = e.currentTarget.value as SourceOption;
            if (o.startsWith('field:')) onChange({ ...v, kind: 'field', field: o.slice(6) as ContactField });
            else onChange({ ...v, kind: o as 'attribute' | 'constant' });
          }}
          data={[
            ...(personal
              ? [
                  { value: 'field:first_name', label: t('fieldFirstName') },
                  { value: 'field:name', label: t('fieldName') },
                  { value: 'field:phone', label: t('fieldPhone') },
                  { value: 'attribute', label: t('attribute') },
                ]
              : []),
            { value: 'constant', label: t('constant') },
          ]}
          w={{ base: '100%', xs: 200 }}
        />
        {v.kind === 'attribute' && (
          <Autocomplete
            label={t('attributeName')}
            value={v.attribute}
            onChange={(attribute) => onChange({ ...v, attribute })}
            data={attributes}
            w={{ base: '100%', xs: 180 }}
          />
        )}
        {v.kind === 'constant' && (
          <TextInput
            label={t('fixedValue')}
            value={v.value}
            onChange={(e) => onChange({ ...v, value: e.currentTarget.value })}
            placeholder={s.optional ? t('payloadDefault') : (s.example ?? '')}
            style={{ flex: 1, minWidth: 160 }}
          />
        )}
        {v.kind !== 'constant' && (
          <TextInput
            label={t('fallback')}
            value={v.fallback}
            onChange={(e) => onChange({ ...v, fallback: e.currentTarget.value })}
            placeholder={t('fallbackNone')}
            style={{ flex: 1, minWidth: 140 }}
          />
        )}
      </Group>
    </Card>
  );
}

interface Rendered {
  contact: { id: string; wa_id: string; name: string | null };
  bubble?: ReturnType<typeof bubbleFromPreview>;
  excluded?: string;
  missing: string[];
}

function RecipientPreviews({
  state: w,
  template,
  slots,
}: {
  state: WizardState;
  template: Template | undefined;
  slots: Slot[];
}) {
  const t = useT(wizardStrings);
  const audience = useAudiencePreview(w, template);
  const sample = useMemo(() => (audience.data?.sample ?? []).slice(0, SAMPLE), [audience.data]);
  const [shown, setShown] = useState('');
  const definition = JSON.stringify(definitionOf(w, slots));
  const key = JSON.stringify([definition, sample.map((s) => s.id)]);
  const [debounced, setDebounced] = useState(key);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(key), PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key]);

  const previews = useLoad(async (): Promise<Rendered[]> => {
    const [def, ids] = JSON.parse(debounced) as [string, string[]];
    const body = JSON.parse(def) as Record<string, unknown>;
    const query = w.accountId ? { account_id: w.accountId } : {};
    return Promise.all(
      ids.map(async (id): Promise<Rendered> => {
        const plan = await unwrap(
          api.POST('/v1/campaigns/plan', { params: { query: { ...query, contact: id } }, body }),
        );
        const p = plan.preview;
        const contact = p?.contact ?? { id, wa_id: '', name: null };
        const missing = (p?.missing ?? []).map((m) => m.attribute ?? m.field ?? m.path);
        if (!p?.template)
          return { contact, missing, ...(p?.excluded_reason ? { excluded: p.excluded_reason } : {}) };
        const rendered = await unwrap(
          api.POST('/v1/templates/preview', {
            params: { query },
            // The plan's filled template is the send's own shape, which the preview takes as it is.
            body: p.template as never,
          }),
        );
        return { contact, missing, bubble: bubbleFromPreview(rendered.rendered) };
      }),
    );
  }, [debounced]);

  const list = previews.data ?? [];
  const current = list.find((r) => r.contact.id === shown) ?? list[0];
  return (
    <Stack gap="sm">
      <Title order={2} size="h4">
        {t('perRecipient')}
      </Title>
      {audience.data && sample.length === 0 && <Text c="gray.7">{t('noSample')}</Text>}
      {previews.error && <ApiErrorAlert error={previews.error} title={t('previewFailed')} />}
      {list.length > 1 && (
        <SegmentedControl
          aria-label={t('previewFor')}
          value={current?.contact.id ?? ''}
          onChange={setShown}
          data={list.map((r) => ({ value: r.contact.id, label: r.contact.name ?? `+${r.contact.wa_id}` }))}
        />
      )}
      {previews.loading && !current && <Skeleton h={260} />}
      {current && (
        <PhoneFrame
          name={current.contact.name ?? `+${current.contact.wa_id}`}
          subtitle={`+${current.contact.wa_id}`}
          label={t('previewOf', { name: current.contact.name ?? `+${current.contact.wa_id}` })}
        >
          {current.bubble ? (
            <MessageBubble {...current.bubble} time={new Date()} direction="in" />
          ) : (
            <Alert color="orange" variant="white" m="xs">
              {t('wouldBeLeftOut', {
                reason: current.excluded ?? 'missing_value',
                values: current.missing.join(', ') || '—',
              })}
            </Alert>
          )}
        </PhoneFrame>
      )}
    </Stack>
  );
}
