import { describe, expect, it } from 'vitest';
import { bindTemplate } from './bind';
import type { TemplateDefinition, TemplateParams } from './model';
import { renderTemplate } from './render';
import { sentTemplateValues } from './sent-values';

const taxiDiscount: TemplateDefinition = {
  name: 'taxi_discount',
  language: 'es_AR',
  category: 'MARKETING',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example/x.jpg'] } },
    { type: 'BODY', text: 'Hola {{1}}, tenés {{2}} de descuento.' },
    { type: 'FOOTER', text: 'Podés darte de baja' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Quiero el código' },
        {
          type: 'URL',
          text: 'Ver',
          url: 'https://s.example/promos/{{1}}',
          example: ['https://s.example/promos/a'],
        },
        { type: 'COPY_CODE', example: 'CODE1' },
      ],
    },
  ],
};

const resume: TemplateDefinition = {
  name: 'resume_conversation',
  language: 'es_AR',
  category: 'UTILITY',
  parameter_format: 'NAMED',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Para {{who}}' },
    { type: 'BODY', text: 'Hola {{first_name}}, seguimos con {{topic}}. Total {{total}}' },
  ],
};

describe('sentTemplateValues', () => {
  it('gives back positional values, media header and button values as the bot sent them', () => {
    const values: TemplateParams = {
      header: { image: { link: 'https://cdn.example/taxi.jpg' } },
      body: ['Emilia', '10%'],
      buttons: [{ payload: 'WANT' }, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
    };
    expect(sentTemplateValues(bindTemplate(taxiDiscount, values))).toEqual(values);
    const rendered = renderTemplate(taxiDiscount, sentTemplateValues(bindTemplate(taxiDiscount, values)));
    expect(rendered.body).toBe('Hola Emilia, tenés 10% de descuento.');
    expect(rendered.buttons[1]?.url).toBe('https://s.example/promos/taxi10');
    expect(rendered.missing).toEqual([]);
  });

  it('gives back named values, a text header and a currency, leaving out buttons that took none', () => {
    const values: TemplateParams = {
      header: { text: 'Emilia' },
      body: {
        first_name: 'Emilia',
        topic: 'tu turno',
        total: { currency: { fallback_value: '$10', code: 'ARS', amount_1000: 10_000 } },
      },
    };
    const back = sentTemplateValues(bindTemplate(resume, values));
    expect(back).toEqual(values);
    expect(renderTemplate(resume, back)).toMatchObject({
      header: { kind: 'text', text: 'Para Emilia' },
      body: 'Hola Emilia, seguimos con tu turno. Total $10',
      missing: [],
    });
  });

  it('reads a template without components as no values, and ignores parameters it does not know', () => {
    expect(sentTemplateValues({ name: 'hello', language: { code: 'en' } })).toEqual({});
    expect(
      sentTemplateValues({
        name: 'x',
        language: { code: 'en' },
        components: [
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '42',
            parameters: [{ type: 'payload', payload: 'P' }],
          },
          { type: 'header', parameters: [{ type: 'sticker', sticker: {} }] },
        ],
      }),
    ).toEqual({});
  });
});
