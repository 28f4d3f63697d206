/**
 * The contact list's search and filters, kept in the page address (so a reload, the back button
 * or a shared link shows the same list): name or number, tags (all of them), one attribute
 * condition, the window now, consent.
 */
import { Button, Group, NativeSelect, SimpleGrid, TagsInput, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useT } from '../../i18n/i18n';
import { contactStrings } from './strings';

export interface ContactFilters {
  q: string;
  tags: string[];
  attrName: string;
  attrOp: string;
  attrValue: string;
  window: string;
  consent: string;
}

export const ATTRIBUTE_OPS = ['eq', 'ne', 'lt', 'gt', 'in', 'exists'] as const;

export function filtersFromParams(p: URLSearchParams): ContactFilters {
  const [attrName = '', attrOp = 'eq', ...rest] = (p.get('attr') ?? '').split(':');
  return {
    q: p.get('q') ?? '',
    tags: p.getAll('tag'),
    attrName,
    attrOp: (ATTRIBUTE_OPS as readonly string[]).includes(attrOp) ? attrOp : 'eq',
    attrValue: rest.join(':'),
    window: p.get('window') ?? '',
    consent: p.get('consent') ?? '',
  };
}

export function paramsFromFilters(f: ContactFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.q.trim()) p.set('q', f.q.trim());
  for (const tag of f.tags) p.append('tag', tag);
  if (f.attrName.trim()) {
    const value = f.attrOp === 'exists' ? '' : f.attrValue;
    p.set('attr', `${f.attrName.trim()}:${f.attrOp}${value === '' ? '' : `:${value}`}`);
  }
  if (f.window) p.set('window', f.window);
  if (f.consent) p.set('consent', f.consent);
  return p;
}

/** The list query of GET /v1/contacts for these filters. */
export function contactQuery(f: ContactFilters) {
  const attr = paramsFromFilters(f).get('attr');
  return {
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
    ...(f.tags.length ? { tag: f.tags } : {}),
    ...(attr ? { attr } : {}),
    ...(f.window ? { window: f.window } : {}),
    ...(f.consent ? { opted_out: f.consent as 'true' | 'false' } : {}),
  };
}

export function ContactFilterForm({
  value,
  onChange,
}: {
  value: ContactFilters;
  onChange(f: ContactFilters): void;
}) {
  const t = useT(contactStrings);
  // Typed text waits for a pause before it filters; choices apply at once.
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  useEffect(() => {
    const typed = ['q', 'attrName', 'attrValue'] as const;
    if (typed.every((k) => draft[k] === value[k])) return;
    const timer = setTimeout(() => onChange(draft), 350);
    return () => clearTimeout(timer);
  }, [draft, value, onChange]);
  const set = (patch: Partial<ContactFilters>, now = false) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    if (now) onChange(next);
  };

  return (
    <form
      aria-label={t('filtersLabel')}
      onSubmit={(e) => {
        e.preventDefault();
        onChange(draft);
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
        <TextInput
          label={t('search')}
          placeholder={t('searchPlaceholder')}
          value={draft.q}
          onChange={(e) => set({ q: e.currentTarget.value })}
        />
        <TagsInput
          label={t('tagsFilter')}
          description={t('tagsFilterHelp')}
          value={draft.tags}
          onChange={(tags) => set({ tags }, true)}
          clearable
        />
        <Group gap="xs" align="flex-end" wrap="nowrap">
          <TextInput
            label={t('attribute')}
            placeholder="city"
            value={draft.attrName}
            onChange={(e) => set({ attrName: e.currentTarget.value })}
            style={{ flex: 1 }}
          />
          <NativeSelect
            label={t('condition')}
            value={draft.attrOp}
            onChange={(e) => set({ attrOp: e.currentTarget.value }, draft.attrName.trim() !== '')}
            data={ATTRIBUTE_OPS.map((op) => ({ value: op, label: t(`op_${op}`) }))}
          />
          <TextInput
            label={t('attributeValue')}
            placeholder="Rosario"
            disabled={draft.attrOp === 'exists'}
            value={draft.attrValue}
            onChange={(e) => set({ attrValue: e.currentTarget.value })}
            style={{ flex: 1 }}
          />
        </Group>
        <NativeSelect
          label={t('windowFilter')}
          value={draft.window}
          onChange={(e) => set({ window: e.currentTarget.value }, true)}
          data={[
            { value: '', label: t('any') },
            { value: 'open', label: t('windowOpenFilter') },
            { value: 'expiring_within=PT1H', label: t('windowClosingFilter') },
            { value: 'closed', label: t('windowClosedFilter') },
          ]}
        />
        <NativeSelect
          label={t('consentFilter')}
          value={draft.consent}
          onChange={(e) => set({ consent: e.currentTarget.value }, true)}
          data={[
            { value: '', label: t('any') },
            { value: 'true', label: t('consentOutFilter') },
            { value: 'false', label: t('consentNotOutFilter') },
          ]}
        />
        <Group align="flex-end">
          <Button
            variant="default"
            onClick={() =>
              onChange({
                q: '',
                tags: [],
                attrName: '',
                attrOp: 'eq',
                attrValue: '',
                window: '',
                consent: '',
              })
            }
          >
            {t('clearFilters')}
          </Button>
        </Group>
      </SimpleGrid>
    </form>
  );
}
