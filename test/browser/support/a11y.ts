/**
 * An accessibility check of what a page shows now: axe-core (the engine behind most audit tools)
 * run inside the page for WCAG 2.1 A and AA rules (labels, names, roles, contrast, landmarks).
 * `await expectAccessible(page)` fails with each violation's rule, impact and the elements.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

// Evaluated through the DevTools protocol rather than added as a <script>: the app's CSP (rightly)
// refuses inline scripts, and the check must not need the policy loosened.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

export async function accessibilityViolations(page: Page): Promise<Violation[]> {
  // A dialog fading in is translucent for a moment: contrast is judged once transitions end (a
  // spinner's endless animation would never end, so after a second the check runs regardless).
  await page
    .waitForFunction(
      () =>
        (globalThis as any).document
          .getAnimations()
          .every((a: any) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
      undefined,
      { timeout: 1_000 },
    )
    .catch(() => undefined);
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // Runs in the page, where axe-core has just been loaded.
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<any> } }).axe;
    const result = await axe.run((globalThis as any).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => ({ target: n.target })),
    }));
  });
}

export async function expectAccessible(page: Page): Promise<void> {
  const violations = await accessibilityViolations(page);
  if (violations.length === 0) return;
  const lines = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  throw new Error(`${violations.length} accessibility violation(s):\n${lines.join('\n')}`);
}
