/**
 * Mantine draws an input's description (and `dimmed` text) in gray.6, 3.3:1 on white: below
 * WCAG AA's 4.5:1 for text this small. Inputs with a description take these styles (gray.7,
 * 8:1) until the theme itself changes the shade.
 */
export const readableDescription = { description: { color: 'var(--mantine-color-gray-7)' } } as const;
