/**
 * Lint findings beside the field they are about. A field's findings go in its description
 * slot, under the input, so Mantine links them with aria-describedby and a screen reader reads
 * them with the field; errors also mark the field invalid. A finding that knows where in the
 * text it is offers to select that part of the text.
 */
import { Anchor, Badge, Code, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useT } from '../../i18n/i18n';
import { templateStrings } from './strings';
import type { Finding } from './use-lint';

export function FindingList({
  findings,
  onLocate,
}: {
  findings: Finding[];
  onLocate?: (f: Finding) => void;
}) {
  const t = useT(templateStrings);
  if (findings.length === 0) return null;
  return (
    <Stack
      component="ul"
      gap={6}
      mt={4}
      p={0}
      m={0}
      style={{ listStyle: 'none' }}
      data-findings={findings.length}
    >
      {findings.map((f, i) => (
        // The same rule may report twice on one field; order tells them apart.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <li key={`${f.rule}-${i}`} data-rule={f.rule} data-severity={f.severity}>
          <Group gap={6} wrap="wrap" align="baseline">
            <Badge size="xs" color={f.severity === 'error' ? 'red.9' : 'yellow.4'} autoContrast radius="sm">
              {t(f.severity === 'error' ? 'error' : 'warning')}
            </Badge>
            <Code>{f.rule}</Code>
          </Group>
          <Text size="sm" c="var(--mantine-color-text)">
            {f.message}
          </Text>
          <Text size="sm" c="var(--mantine-color-text)">
            {t('fix', { fix: f.fix })}
          </Text>
          {f.location && onLocate && (
            <Anchor component="button" type="button" size="sm" onClick={() => onLocate(f)}>
              {t('showInText', {
                text: f.location.text.length > 30 ? `${f.location.text.slice(0, 29)}…` : f.location.text,
              })}
            </Anchor>
          )}
        </li>
      ))}
    </Stack>
  );
}

export const WRAPPER_ORDER: ('label' | 'input' | 'description' | 'error')[] = [
  'label',
  'input',
  'description',
  'error',
];

/** Props that put a field's hint and findings under it, described by both. */
export function findingProps(
  findings: Finding[],
  hint: ReactNode,
  onLocate?: (f: Finding) => void,
): {
  description: ReactNode;
  descriptionProps: { component: 'div'; c: string };
  inputWrapperOrder: typeof WRAPPER_ORDER;
  error: boolean;
} {
  return {
    description:
      hint || findings.length > 0 ? (
        <>
          {hint && <span>{hint}</span>}
          <FindingList findings={findings} onLocate={onLocate} />
        </>
      ) : undefined,
    // Mantine's dimmed grey is 3.3:1 on white; hints and findings need 4.5:1.
    descriptionProps: { component: 'div', c: 'gray.7' },
    inputWrapperOrder: WRAPPER_ORDER,
    error: findings.some((f) => f.severity === 'error'),
  };
}
