/**
 * An input's help line (Mantine's `description`) in a grey that keeps WCAG AA's 4.5:1 on white:
 * Mantine's own "dimmed" grey is lighter than that.
 */
export function hint(text: string) {
  return { description: text, styles: { description: { color: 'var(--mantine-color-gray-7)' } } };
}
