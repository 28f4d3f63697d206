/**
 * The template's buttons: quick replies, links (URL, optionally ending in {{1}} with an example
 * link), calls and copy-code, in order, each with its own findings. Order matters to Meta
 * (quick replies stay together), so each button can move up and down.
 */
import {
  Button,
  Fieldset,
  Group,
  Menu,
  NativeSelect,
  Paper,
  Stack,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useT } from '../../i18n/i18n';
import { BUTTON_TYPES, type ButtonType, type DraftButton, emptyButton } from './draft';
import { FindingList, findingProps } from './findings';
import { templateStrings } from './strings';
import type { Finding } from './use-lint';

const TYPE_KEY = {
  QUICK_REPLY: 'buttonQuickReply',
  URL: 'buttonUrl',
  PHONE_NUMBER: 'buttonPhone',
  COPY_CODE: 'buttonCopyCode',
} as const;

export interface ButtonsEditorProps {
  buttons: DraftButton[];
  onChange(buttons: DraftButton[]): void;
  readOnly: boolean;
  /** Findings by field key: `button:<key>` per button, `buttons` for the whole list. */
  findingsOf(field: string): Finding[];
  onLocate(field: string, f: Finding): void;
  /** Registers a button field's input, so a finding can select text in it. */
  inputRef(field: string): (el: HTMLInputElement | null) => void;
}

export function ButtonsEditor({
  buttons,
  onChange,
  readOnly,
  findingsOf,
  onLocate,
  inputRef,
}: ButtonsEditorProps) {
  const t = useT(templateStrings);
  const set = (i: number, patch: Partial<DraftButton>) =>
    onChange(buttons.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  const move = (i: number, by: number) => {
    const next = [...buttons];
    const [b] = next.splice(i, 1);
    next.splice(i + by, 0, b!);
    onChange(next);
  };
  const listFindings = findingsOf('buttons');

  return (
    <Fieldset legend={t('buttons')} aria-describedby={listFindings.length ? 'buttons-findings' : undefined}>
      <Stack gap="sm">
        <div id="buttons-findings">
          <FindingList findings={listFindings} />
        </div>
        {buttons.length === 0 && (
          <Text size="sm" c="gray.7">
            {t('noButtons')}
          </Text>
        )}
        {buttons.map((b, i) => {
          const field = `button:${b.key}`;
          const own = findingsOf(field);
          const n = i + 1;
          const locate = (f: Finding) => onLocate(field, f);
          // A button's findings go under the field they name; the rest under its first field.
          const at = (suffix: string) => own.filter((f) => f.path?.endsWith(suffix));
          const onText = own.filter(
            (f) =>
              !f.path?.endsWith('.url') &&
              !f.path?.endsWith('.phone_number') &&
              !f.path?.includes('.example'),
          );
          return (
            <Paper key={b.key} withBorder p="sm" component="section" aria-label={t('buttonN', { n })}>
              <Stack gap="xs">
                <Group justify="space-between" align="flex-end" wrap="wrap">
                  {b.type === 'OTHER' ? (
                    <Text size="sm">{t('buttonOther', { type: String(b.raw?.type ?? '?') })}</Text>
                  ) : (
                    <NativeSelect
                      label={t('buttonType', { n })}
                      value={b.type}
                      disabled={readOnly}
                      onChange={(e) => set(i, { type: e.currentTarget.value as ButtonType })}
                      data={BUTTON_TYPES.map((type) => ({ value: type, label: t(TYPE_KEY[type]) }))}
                    />
                  )}
                  {!readOnly && (
                    <Group gap={4}>
                      <Button size="xs" variant="default" disabled={i === 0} onClick={() => move(i, -1)}>
                        {t('moveUp')}
                        <VisuallyHidden> {t('buttonN', { n })}</VisuallyHidden>
                      </Button>
                      <Button
                        size="xs"
                        variant="default"
                        disabled={i === buttons.length - 1}
                        onClick={() => move(i, 1)}
                      >
                        {t('moveDown')}
                        <VisuallyHidden> {t('buttonN', { n })}</VisuallyHidden>
                      </Button>
                      <Button
                        size="xs"
                        variant="default"
                        color="red"
                        onClick={() => onChange(buttons.filter((_, j) => j !== i))}
                      >
                        {t('remove')}
                        <VisuallyHidden> {t('buttonN', { n })}</VisuallyHidden>
                      </Button>
                    </Group>
                  )}
                </Group>
                {b.type !== 'COPY_CODE' && b.type !== 'OTHER' && (
                  <TextInput
                    label={t('buttonText', { n })}
                    value={b.text}
                    readOnly={readOnly}
                    ref={inputRef(`${field}:text`)}
                    onChange={(e) => set(i, { text: e.currentTarget.value })}
                    {...findingProps(onText, t('buttonTextHint'), locate)}
                  />
                )}
                {b.type === 'URL' && (
                  <>
                    <TextInput
                      label={t('buttonLink', { n })}
                      value={b.url}
                      readOnly={readOnly}
                      placeholder="https://example.com/orders/{{1}}"
                      ref={inputRef(`${field}:url`)}
                      onChange={(e) => set(i, { url: e.currentTarget.value })}
                      {...findingProps(at('.url'), t('buttonLinkHint'), locate)}
                    />
                    {b.url.includes('{{') && (
                      <TextInput
                        label={t('buttonLinkExample', { n })}
                        value={b.urlExample}
                        readOnly={readOnly}
                        onChange={(e) => set(i, { urlExample: e.currentTarget.value })}
                        {...findingProps(
                          own.filter((f) => f.path?.includes('.example')),
                          t('buttonLinkExampleHint'),
                        )}
                      />
                    )}
                  </>
                )}
                {b.type === 'PHONE_NUMBER' && (
                  <TextInput
                    label={t('buttonPhoneNumber', { n })}
                    value={b.phone}
                    readOnly={readOnly}
                    type="tel"
                    placeholder="+5491155551234"
                    ref={inputRef(`${field}:phone`)}
                    onChange={(e) => set(i, { phone: e.currentTarget.value })}
                    {...findingProps(at('.phone_number'), t('buttonPhoneHint'), locate)}
                  />
                )}
                {b.type === 'COPY_CODE' && (
                  <TextInput
                    label={t('buttonCode', { n })}
                    value={b.code}
                    readOnly={readOnly}
                    onChange={(e) => set(i, { code: e.currentTarget.value })}
                    {...findingProps(own, t('buttonCodeHint'))}
                  />
                )}
                {b.type === 'OTHER' && <FindingList findings={own} />}
              </Stack>
            </Paper>
          );
        })}
        {!readOnly && (
          <Menu position="bottom-start">
            <Menu.Target>
              <Button variant="default" w="fit-content">
                {t('addButton')}
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              {BUTTON_TYPES.map((type) => (
                <Menu.Item key={type} onClick={() => onChange([...buttons, emptyButton(type)])}>
                  {t(TYPE_KEY[type])}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        )}
      </Stack>
    </Fieldset>
  );
}
