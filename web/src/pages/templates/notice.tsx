import { Alert, type AlertProps } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * Mantine's Alert with its title in the text colour: the light variant draws the title in the
 * alert's colour, which misses 4.5:1 on its tinted background for green, yellow and red.
 */
export function Notice(props: AlertProps & { role?: string; children?: ReactNode }) {
  return <Alert {...props} styles={{ title: { color: 'var(--mantine-color-text)' } }} />;
}
