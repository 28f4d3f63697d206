/**
 * The template's fields, each with its lint findings under it: name, language, category and
 * variable style; the header (text with its one variable's example, or a media sample); the
 * body with an example per variable; the footer; the buttons. Findings without a field (the
 * template as a whole) are listed first.
 */
import {
  Autocomplete,
  Button,
  Fieldset,
  NativeSelect,
  SimpleGrid,
  Stack,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useRef } from 'react';
import { useFormat, useT } from '../../i18n/i18n';
import { ButtonsEditor } from './buttons-editor';
import {
  CATEGORIES,
  type Draft,
  HEADER_FORMATS,
  type HeaderFormat,
  type ParameterFormat,
  variablesOf,
} from './draft';
import { FindingList, findingProps } from './findings';
import { templateStrings } from './strings';
import type { Finding } from './use-lint';

/** Codes people use most; any of Meta's codes can be typed (the linter checks them). */
const LANGUAGES = [
  'es',
  'es_AR',
  'es_MX',
  'es_ES',
  'es_CO',
  'es_CL',
  'en',
  'en_US',
  'en_GB',
  'pt_BR',
  'pt_PT',
  'fr',
  'it',
  'de',
];

const BODY_MAX = 1024;

const HEADER_KEY: Record<
  HeaderFormat,
  'headerNone' | 'headerText' | 'headerImage' | 'headerVideo' | 'headerDocument' | 'headerLocation'
> = {
  NONE: 'headerNone',
  TEXT: 'headerText',
  IMAGE: 'headerImage',
  VIDEO: 'headerVideo',
  DOCUMENT: 'headerDocument',
  LOCATION: 'headerLocation',
};

export interface EditorFormProps {
  draft: Draft;
  onChange(d: Draft): void;
  /** Name and language of a stored template cannot change: another name is another template. */
  fixedKey: boolean;
  readOnly: boolean;
  findingsOf(field: string): Finding[];
}

type TextField = HTMLInputElement | HTMLTextAreaElement;

export function EditorForm({ draft, onChange, fixedKey, readOnly, findingsOf }: EditorFormProps) {
  const t = useT(templateStrings);
  const fmt = useFormat();
  const fields = useRef(new Map<string, TextField>());
  const inputRef = (key: string) => (el: TextField | null) => {
    if (el) fields.current.set(key, el);
    else fields.current.delete(key);
  };
  /** Selects the part of the text a finding is about, in the field it is about. */
  const locate = (key: string) => (f: Finding) => {
    const el = fields.current.get(key);
    if (!el || !f.location) return;
    el.focus();
    el.setSelectionRange(f.location.start, f.location.end);
  };
  const locateButton = (field: string, f: Finding) => {
    const part = f.path?.endsWith('.url') ? 'url' : f.path?.endsWith('.phone_number') ? 'phone' : 'text';
    locate(`${field}:${part}`)(f);
  };
  const set = (patch: Partial<Draft>) => onChange({ ...draft, ...patch });
  const props = (key: string, hint?: string) => findingProps(findingsOf(key), hint, locate(key));

  const bodyVars = variablesOf(draft.body);
  const headerVars = variablesOf(draft.headerText);
  const named = draft.parameterFormat === 'NAMED';
  const nextVariable = () => {
    if (named)
      return `{{${['first_name', 'value', 'detail'].find((n) => !bodyVars.includes(n)) ?? `value_${bodyVars.length + 1}`}}}`;
    const numbers = bodyVars.map(Number).filter((n) => Number.isInteger(n));
    return `{{${Math.max(0, ...numbers) + 1}}}`;
  };
  const insertVariable = () => {
    const el = fields.current.get('body') as HTMLTextAreaElement | undefined;
    const v = nextVariable();
    const at = el?.selectionStart ?? draft.body.length;
    const end = el?.selectionEnd ?? at;
    set({ body: draft.body.slice(0, at) + v + draft.body.slice(end) });
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + v.length, at + v.length);
    });
  };
  const bodyLength = [...draft.body].length;
  const examplesFindings = findingsOf('bodyExamples');

  return (
    <Stack>
      <FindingList findings={findingsOf('general')} />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label={t('name')}
          required
          value={draft.name}
          readOnly={readOnly || fixedKey}
          ref={inputRef('name')}
          onChange={(e) => set({ name: e.currentTarget.value })}
          {...props('name', fixedKey ? t('nameFixed') : t('nameHint'))}
        />
        <Autocomplete
          label={t('language')}
          required
          value={draft.language}
          readOnly={readOnly || fixedKey}
          data={LANGUAGES}
          onChange={(language) => set({ language })}
          {...props('language', t('languageHint'))}
        />
        <NativeSelect
          label={t('category')}
          value={draft.category}
          disabled={readOnly}
          onChange={(e) => set({ category: e.currentTarget.value })}
          data={[
            ...CATEGORIES.map((c) => ({ value: c, label: t(`category_${c}`) })),
            ...((CATEGORIES as string[]).includes(draft.category)
              ? []
              : [{ value: draft.category, label: draft.category }]),
          ]}
          {...props('category')}
        />
        <NativeSelect
          label={t('variables')}
          value={draft.parameterFormat}
          disabled={readOnly}
          onChange={(e) => set({ parameterFormat: e.currentTarget.value as ParameterFormat })}
          data={[
            { value: 'POSITIONAL', label: t('variablesPositional') },
            { value: 'NAMED', label: t('variablesNamed') },
          ]}
          {...props('parameterFormat')}
        />
      </SimpleGrid>

      <Fieldset legend={t('header')}>
        <Stack gap="sm">
          <NativeSelect
            label={t('headerFormat')}
            value={draft.headerFormat}
            disabled={readOnly}
            onChange={(e) => set({ headerFormat: e.currentTarget.value as HeaderFormat })}
            data={HEADER_FORMATS.map((f) => ({ value: f, label: t(HEADER_KEY[f]) }))}
            {...props('headerFormat')}
          />
          {draft.headerFormat === 'TEXT' && (
            <>
              <TextInput
                label={t('headerTextLabel')}
                value={draft.headerText}
                readOnly={readOnly}
                ref={inputRef('headerText')}
                onChange={(e) => set({ headerText: e.currentTarget.value })}
                {...props('headerText', t('headerTextHint'))}
              />
              {headerVars.length > 0 && (
                <TextInput
                  label={t('exampleFor', { variable: `{{${headerVars[0]}}}` })}
                  value={draft.headerExample}
                  readOnly={readOnly}
                  onChange={(e) => set({ headerExample: e.currentTarget.value })}
                  {...props('headerExample')}
                />
              )}
            </>
          )}
          {(draft.headerFormat === 'IMAGE' ||
            draft.headerFormat === 'VIDEO' ||
            draft.headerFormat === 'DOCUMENT') && (
            <TextInput
              label={t('headerMedia')}
              value={draft.headerMedia}
              readOnly={readOnly}
              placeholder="https://cdn.example.com/promo.jpg"
              onChange={(e) => set({ headerMedia: e.currentTarget.value })}
              {...props('headerMedia', t('headerMediaHint'))}
            />
          )}
        </Stack>
      </Fieldset>

      <Fieldset legend={t('body')}>
        <Stack gap="sm">
          <Textarea
            label={t('bodyText')}
            required
            autosize
            minRows={4}
            value={draft.body}
            readOnly={readOnly}
            ref={inputRef('body')}
            onChange={(e) => set({ body: e.currentTarget.value })}
            {...props('body', t('bodyHint', { count: fmt.number(bodyLength), max: fmt.number(BODY_MAX) }))}
          />
          {!readOnly && (
            <Button variant="default" size="xs" w="fit-content" onClick={insertVariable}>
              {t('insertVariable', { variable: nextVariable() })}
            </Button>
          )}
          {bodyVars.length > 0 && (
            <Fieldset
              legend={t('examples')}
              variant="unstyled"
              aria-describedby={examplesFindings.length ? 'body-examples-findings' : undefined}
            >
              <Stack gap="xs">
                {bodyVars.map((name) => (
                  <TextInput
                    key={name}
                    label={t('exampleFor', { variable: `{{${name}}}` })}
                    value={draft.bodyExamples[name] ?? ''}
                    readOnly={readOnly}
                    onChange={(e) =>
                      set({ bodyExamples: { ...draft.bodyExamples, [name]: e.currentTarget.value } })
                    }
                  />
                ))}
                <div id="body-examples-findings">
                  <FindingList findings={examplesFindings} />
                </div>
              </Stack>
            </Fieldset>
          )}
        </Stack>
      </Fieldset>

      <TextInput
        label={t('footer')}
        value={draft.footer}
        readOnly={readOnly}
        ref={inputRef('footer')}
        onChange={(e) => set({ footer: e.currentTarget.value })}
        {...props('footer', t('footerHint'))}
      />

      <ButtonsEditor
        buttons={draft.buttons}
        onChange={(buttons) => set({ buttons })}
        readOnly={readOnly}
        findingsOf={findingsOf}
        onLocate={locateButton}
        inputRef={inputRef}
      />
    </Stack>
  );
}
