/**
 * Choose an approved template and fill its values: one field per variable, prefilled for the
 * contact where it can be known, and the body as the person will read it.
 */
import { Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { useT } from '../i18n/i18n';
import { conversationStrings } from './conversation-strings';
import { previewBody, type Template, templateFields, templateKey } from './template-values';

export function TemplatePicker({
  label,
  description,
  templates,
  selected,
  values,
  onSelect,
  onValues,
}: {
  label: string;
  description?: string;
  templates: Template[];
  selected: Template | undefined;
  values: Record<string, string>;
  onSelect(t: Template | undefined): void;
  onValues(values: Record<string, string>): void;
}) {
  const t = useT(conversationStrings);
  const fields = selected ? templateFields(selected) : undefined;
  return (
    <Stack gap="xs">
      <Select
        label={label}
        description={description}
        placeholder={t('chooseTemplate')}
        data={templates.map((x) => ({ value: templateKey(x), label: `${x.name} (${x.language})` }))}
        value={selected ? templateKey(selected) : null}
        onChange={(key) => onSelect(templates.find((x) => templateKey(x) === key))}
        nothingFoundMessage={t('noTemplates')}
        searchable
        allowDeselect={false}
      />
      {selected && fields && (
        <>
          {fields.header && (
            <TextInput
              label={t('headerValue', { name: fields.header })}
              required
              value={values.header ?? ''}
              onChange={(e) => onValues({ ...values, header: e.currentTarget.value })}
            />
          )}
          {fields.body.map((name) => (
            <TextInput
              key={name}
              label={t('bodyValue', { name })}
              required
              value={values[name] ?? ''}
              onChange={(e) => onValues({ ...values, [name]: e.currentTarget.value })}
            />
          ))}
          <Paper withBorder p="xs" bg="var(--mantine-color-green-0)">
            <Text size="xs" c="gray.7">
              {t('theyWillRead')}
            </Text>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {previewBody(selected, values)}
            </Text>
          </Paper>
        </>
      )}
    </Stack>
  );
}

/** Whether every value the template needs has been typed. */
export function valuesComplete(t: Template | undefined, values: Record<string, string>): boolean {
  if (!t) return false;
  const f = templateFields(t);
  const needed = [...f.body, ...(f.header ? ['header'] : [])];
  return needed.every((n) => (values[n] ?? '').trim() !== '');
}
