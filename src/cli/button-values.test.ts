import { describe, expect, it } from 'vitest';
import type { TemplateButton } from '../domain/templates/model';
import { buttonValues, needsTemplate } from './button-values';
import { UsageError } from './errors';

const TAXI: TemplateButton[] = [
  { type: 'QUICK_REPLY', text: 'Quiero el código' },
  { type: 'QUICK_REPLY', text: 'No quiero promociones' },
  { type: 'URL', text: 'Ver condiciones', url: 'https://saludcenter.example/promos/{{1}}' },
  { type: 'COPY_CODE', example: 'TAXI10' },
];
const taxi = { name: 'taxi_discount', language: 'es_AR', buttons: TAXI };

describe('--button values', () => {
  it('puts a bare value where each button takes one: payload, URL suffix, coupon code', () => {
    expect(buttonValues(['YES', 'NO', 'taxi15', 'TAXI15'], taxi)).toEqual([
      { payload: 'YES' },
      { payload: 'NO' },
      { url_suffix: 'taxi15' },
      { coupon_code: 'TAXI15' },
    ]);
  });

  it('takes explicit keys as given, "-" as a skipped button, and needs no template for them', () => {
    const args = ['-', 'payload=a=b', 'url_suffix=x/y', 'coupon_code=C'];
    expect(needsTemplate(args)).toBe(false);
    expect(buttonValues(args, { name: 't', language: 'es' })).toEqual([
      null,
      { payload: 'a=b' },
      { url_suffix: 'x/y' },
      { coupon_code: 'C' },
    ]);
    expect(needsTemplate(['-', 'bare'])).toBe(true);
  });

  it('refuses a bare value for a button that takes none, naming the button and the fix', () => {
    const buttons: TemplateButton[] = [
      { type: 'PHONE_NUMBER', text: 'Llamar', phone_number: '+5491100000000' },
      { type: 'URL', text: 'Web', url: 'https://saludcenter.example' },
    ];
    const t = { name: 'info', language: 'es_AR', buttons };
    expect(() => buttonValues(['x'], t)).toThrow(
      new UsageError(
        '--button value 1 ("x"): button 1 of info (es_AR), phone "Llamar", calls a fixed number (+5491100000000) and takes no value; pass "-" for it',
      ),
    );
    expect(() => buttonValues(['-', 'y'], t)).toThrow(
      /^--button value 2 \("y"\): button 2 of info \(es_AR\), URL "Web", links to a fixed address \(https:\/\/saludcenter\.example\) and takes no value; pass "-" for it$/,
    );
  });

  it('refuses more bare values than the template has buttons', () => {
    expect(() => buttonValues(['a', 'b', 'c', 'd', 'e'], taxi)).toThrow(
      /^--button value 5 \("e"\) has no button to go to: taxi_discount \(es_AR\) has 4 buttons \(quick reply "Quiero el código", quick reply "No quiero promociones", URL "Ver condiciones", copy code\); give one value per button, in order$/,
    );
    expect(() => buttonValues(['a'], { name: 'plain', language: 'es', buttons: [] })).toThrow(
      '--button value 1 ("a") has no button to go to: plain (es) has 0 buttons; give one value per button, in order',
    );
  });
});
