/**
 * The template editor's phone preview and the template it sends: values filled from the
 * examples, media named after their sample file, and the draft ↔ Meta shape both ways
 * (web/src/pages/templates/draft.ts, draft-preview.ts, components/phone/message.ts).
 */
import { describe, expect, it } from 'vitest';
import { bubbleFromPreview, mediaName } from '../../web/src/components/phone/message';
import {
  emptyButton,
  fieldOfPath,
  fromTemplate,
  newDraft,
  toTemplate,
} from '../../web/src/pages/templates/draft';
import { fillVariables, renderDraft } from '../../web/src/pages/templates/draft-preview';

const LABELS = { copyCode: 'Copy offer code' };

const TAXI = {
  name: 'taxi_discount',
  language: 'es_AR',
  category: 'MARKETING',
  parameter_format: 'POSITIONAL',
  components: [
    {
      type: 'HEADER',
      format: 'IMAGE',
      example: { header_handle: ['https://cdn.saludcenter.example/taxi-promo.jpg?v=2'] },
    },
    {
      type: 'BODY',
      text: 'Hola {{1}}, tenés un {{2}} de descuento.',
      example: { body_text: [['Emilia', '10%']] },
    },
    { type: 'FOOTER', text: 'Podés darte de baja cuando quieras' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Quiero el código' },
        {
          type: 'URL',
          text: 'Ver condiciones',
          url: 'https://saludcenter.example/promos/{{1}}',
          example: ['https://saludcenter.example/promos/taxi10'],
        },
        { type: 'COPY_CODE', example: 'TAXI10' },
        { type: 'OTP', otp_type: 'COPY_CODE', text: 'Copiar' },
      ],
    },
    { type: 'LIMITED_TIME_OFFER', limited_time_offer: { text: 'Hoy' } },
  ],
};

describe('the phone preview of a draft', () => {
  it('fills variables with their examples and keeps the ones without a value visible', () => {
    expect(
      fillVariables('Hola {{1}}, tu turno es el {{ 2 }} con {{3}}', { 1: 'Emilia', 2: 'lunes', 3: '' }),
    ).toBe('Hola Emilia, tu turno es el lunes con {{3}}');
    expect(fillVariables('Hola {{first_name}}', { first_name: '*Emi*' })).toBe('Hola *Emi*');
  });

  it('draws a stored template as the person will see it', () => {
    expect(renderDraft(fromTemplate(TAXI), LABELS)).toEqual({
      header: { kind: 'image', name: 'taxi-promo.jpg' },
      body: 'Hola Emilia, tenés un 10% de descuento.',
      footer: 'Podés darte de baja cuando quieras',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Quiero el código' },
        { type: 'URL', text: 'Ver condiciones', url: 'https://saludcenter.example/promos/taxi10' },
        { type: 'COPY_CODE', text: 'Copy offer code' },
        { type: 'OTP', text: 'Copiar' },
      ],
    });
  });

  it('fills a text header’s one variable and names media without a sample by kind only', () => {
    const d = {
      ...newDraft('es_AR'),
      headerFormat: 'TEXT' as const,
      headerText: 'Turno de {{1}}',
      headerExample: 'Emilia',
    };
    expect(renderDraft(d, LABELS).header).toEqual({ kind: 'text', text: 'Turno de Emilia' });
    expect(renderDraft({ ...d, headerFormat: 'DOCUMENT' }, LABELS).header).toEqual({ kind: 'document' });
  });

  it('reads media names from links and API previews', () => {
    expect(mediaName('https://cdn.example/a/b/Factura%20marzo.pdf#page=2')).toBe('Factura marzo.pdf');
    expect(mediaName('https://')).toBeUndefined();
    expect(
      bubbleFromPreview({
        header: { kind: 'video', ref: 'https://cdn.example/v/intro.mp4' },
        body: 'Hola',
        buttons: [{ type: 'PHONE_NUMBER', text: 'Llamar', phone: '+5491155550000' }],
      }),
    ).toEqual({
      header: { kind: 'video', name: 'intro.mp4' },
      body: 'Hola',
      buttons: [{ type: 'PHONE_NUMBER', text: 'Llamar', phone: '+5491155550000' }],
    });
  });
});

describe('the draft as a template', () => {
  it('gives back what it read, components the form does not edit included', () => {
    const { template } = toTemplate(fromTemplate(TAXI));
    expect(template).toEqual(TAXI);
  });

  it('orders positional examples by number and names named ones', () => {
    const d = { ...newDraft('es_AR'), body: 'Hola {{2}} y {{1}}', bodyExamples: { 1: 'uno', 2: 'dos' } };
    expect(toTemplate(d).template.components).toEqual([
      { type: 'BODY', text: 'Hola {{2}} y {{1}}', example: { body_text: [['uno', 'dos']] } },
    ]);
    const named = {
      ...d,
      parameterFormat: 'NAMED' as const,
      body: 'Hola {{first_name}}',
      bodyExamples: { first_name: 'Emilia' },
    };
    expect(toTemplate(named).template.components).toEqual([
      {
        type: 'BODY',
        text: 'Hola {{first_name}}',
        example: { body_text_named_params: [{ param_name: 'first_name', example: 'Emilia' }] },
      },
    ]);
  });

  it('leaves the example out until a value is typed, so the linter asks for it', () => {
    const d = { ...newDraft('es_AR'), body: 'Hola {{1}}, ¿confirmás?' };
    expect(toTemplate(d).template.components).toEqual([{ type: 'BODY', text: 'Hola {{1}}, ¿confirmás?' }]);
  });

  it('finds the field of a lint finding from its path', () => {
    const d = fromTemplate(TAXI);
    const { paths } = toTemplate(d);
    const field = (p?: string) => fieldOfPath(p, paths, d);
    expect(field(undefined)).toBe('general');
    expect(field('name')).toBe('name');
    expect(field('parameter_format')).toBe('parameterFormat');
    expect(field('components[0].example.header_handle')).toBe('headerMedia');
    expect(field('components[1].text')).toBe('body');
    expect(field('components[1].example.body_text')).toBe('bodyExamples');
    expect(field('components[2].text')).toBe('footer');
    expect(field('components[3].buttons[1].url')).toBe(`button:${d.buttons[1]!.key}`);
    expect(field('components[3]')).toBe('buttons');
    expect(field('components[4]')).toBe('general');
    const many = {
      ...newDraft('es_AR'),
      buttons: Array.from({ length: 11 }, () => emptyButton('QUICK_REPLY')),
    };
    const p = toTemplate(many).paths;
    expect(fieldOfPath('components[1].buttons[10].text', p, many)).toBe(`button:${many.buttons[10]!.key}`);
  });
});
