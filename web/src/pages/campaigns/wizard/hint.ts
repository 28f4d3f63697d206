/** An input's help line (Mantine's `description`, drawn in the theme's AA-contrast grey: main.tsx). */
export function hint(text: string) {
  return { description: text };
}
