import { describe, expect, it } from 'vitest';
import type { TemplateComponent } from './model';
import { checkRouting, routedConsent } from './routing';

const BUTTONS: TemplateComponent[] = [
  { type: 'BODY', text: 'Hola {{1}}, ¿querés el código?' },
  {
    type: 'BUTTONS',
    buttons: [
      { type: 'QUICK_REPLY', text: 'Quiero el código' },
      { type: 'QUICK_REPLY', text: 'No quiero promociones' },
    ],
  },
];

describe('template routing', () => {
  it('reads what a file declares, and names what is wrong', () => {
    expect(checkRouting(undefined)).toEqual({ ok: true, value: null });
    expect(checkRouting({ opt_out: { marketing: ['STOP_PROMOS', 'STOP_PROMOS'] } })).toEqual({
      ok: true,
      value: { opt_out: { marketing: ['STOP_PROMOS'] } },
    });
    const bad = checkRouting({ opt_out: { sms: ['X'], all: 'STOP' }, later: {} });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.problems.map((p) => p.path)).toEqual([
      'routing.opt_out.sms',
      'routing.opt_out.all',
      'routing.later',
    ]);
    expect(checkRouting([]).ok).toBe(false);
    expect(checkRouting({ opt_in: { all: [''] } }).ok).toBe(false);
  });

  it('opts out by declared payload or text, of the declared scope', () => {
    const t = { category: 'UTILITY', components: BUTTONS, routing: { opt_out: { all: ['BAJA_TOTAL'] } } };
    expect(routedConsent(t, { payload: 'BAJA_TOTAL', text: 'Darme de baja' })).toEqual({
      scope: 'all',
      state: 'opted_out',
      rule: 'routing',
    });
    const optIn = { ...t, routing: { opt_in: { marketing: ['Quiero el código'] } } };
    expect(routedConsent(optIn, { payload: 'X', text: 'Quiero el código' })).toMatchObject({
      scope: 'marketing',
      state: 'opted_in',
    });
  });

  it("takes a MARKETING template's opt-out label for a marketing opt-out, and nothing else", () => {
    const marketing = { category: 'MARKETING', components: BUTTONS, routing: null };
    expect(routedConsent(marketing, { payload: 'P', text: 'No quiero promociones' })).toEqual({
      scope: 'marketing',
      state: 'opted_out',
      rule: 'opt_out_label',
    });
    expect(routedConsent(marketing, { payload: 'P', text: 'Quiero el código' })).toBeUndefined();
    // The label must be one of the template's buttons, and only MARKETING templates count.
    expect(routedConsent(marketing, { payload: 'P', text: 'Stop' })).toBeUndefined();
    expect(
      routedConsent({ ...marketing, category: 'UTILITY' }, { payload: 'P', text: 'No quiero promociones' }),
    ).toBeUndefined();
  });
});
