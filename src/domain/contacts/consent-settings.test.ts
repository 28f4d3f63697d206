import { describe, expect, it } from 'vitest';
import {
  checkConsentSettings,
  consentRules,
  DEFAULT_CONSENT_SETTINGS,
  effectiveKeywords,
  settingsFromStored,
} from './consent-settings';

describe('consent settings', () => {
  it('fills in every default for an empty body', () => {
    expect(checkConsentSettings({})).toEqual({ ok: true, value: DEFAULT_CONSENT_SETTINGS });
  });

  it('extends the defaults, or replaces them', () => {
    const extend = checkConsentSettings({ keywords: { opt_out: { all: ['FIN'] } } });
    expect(extend.ok).toBe(true);
    const rules = consentRules(extend.ok ? extend.value : DEFAULT_CONSENT_SETTINGS);
    expect(rules.keywords.match('fin')?.scope).toBe('all');
    expect(rules.keywords.match('stop')?.scope).toBe('all');

    const replace = checkConsentSettings({ keywords: { mode: 'replace', opt_out: { all: ['FIN'] } } });
    const only = consentRules(replace.ok ? replace.value : DEFAULT_CONSENT_SETTINGS);
    expect(only.keywords.match('fin')?.keyword).toBe('FIN');
    expect(only.keywords.match('stop')).toBeUndefined();
    expect(effectiveKeywords(replace.ok ? replace.value : DEFAULT_CONSENT_SETTINGS).opt_in.all).toEqual([]);
  });

  it('lets a replaced default keyword mean something else', () => {
    const r = checkConsentSettings({
      keywords: { mode: 'replace', opt_out: { marketing: ['STOP'] }, opt_in: { all: ['START'] } },
    });
    expect(r.ok).toBe(true);
    const rules = consentRules(r.ok ? r.value : DEFAULT_CONSENT_SETTINGS);
    expect(rules.keywords.match('stop')).toMatchObject({ scope: 'marketing', state: 'opted_out' });
  });

  it('names every problem with its path', () => {
    const r = checkConsentSettings({
      keywords: {
        opt_out: { all: ['Fin', '!!!', 'x'.repeat(65)], marketing: ['FÍN'] },
        opt_in: { marketing: ['stop'] },
      },
      opt_out_payloads: { marketing: ['STOP_PROMOS', ''], all: ['STOP_PROMOS'] },
      confirmations: { opt_out: '   ' },
      marketing_frequency_cap_hours: 1.5,
    });
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems.map((p) => p.path)).toEqual([
      'keywords.opt_out.all[1]',
      'keywords.opt_out.all[2]',
      'keywords.opt_out.marketing[0]',
      'keywords.opt_in.marketing[0]',
      'opt_out_payloads.marketing[0]',
      'opt_out_payloads.marketing[1]',
      'confirmations.opt_out',
      'marketing_frequency_cap_hours',
    ]);
    expect(problems[2]?.message).toMatch(/"FÍN" is also keywords\.opt_out\.all\[0\]/);
    expect(problems[3]?.message).toMatch(/default opt-out keyword of scope all.*"replace"/);
  });

  it('refuses half a character in any text', () => {
    const r = checkConsentSettings({
      keywords: { opt_out: { all: ['FIN\ud83d'] } },
      opt_out_payloads: { all: ['\udc00'] },
      confirmations: { opt_in: 'Hola \ud83d' },
    });
    expect(r.ok ? [] : r.problems.map((p) => [p.path, p.message.slice(0, 20)])).toEqual([
      ['keywords.opt_out.all[0]', 'holds half of a char'],
      ['opt_out_payloads.all[0]', 'holds half of a char'],
      ['confirmations.opt_in', 'holds half of a char'],
    ]);
  });

  it('keeps one copy of a keyword listed twice in the same list', () => {
    const r = checkConsentSettings({ keywords: { opt_out: { all: ['FIN', 'fin'] } } });
    expect(r.ok && r.value.keywords.opt_out.all).toEqual(['FIN']);
  });

  it('reads a stored row leniently', () => {
    expect(settingsFromStored('{"confirmations":{"opt_out":"Listo"}}').confirmations.opt_out).toBe('Listo');
    expect(settingsFromStored('{"marketing_frequency_cap_hours":-1}')).toEqual(DEFAULT_CONSENT_SETTINGS);
  });
});
