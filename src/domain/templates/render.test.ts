import { describe, expect, it } from 'vitest';
import { RecontactError } from '../errors';
import type { TemplateDefinition } from './model';
import { renderTemplate } from './render';

const appointmentReminder: TemplateDefinition = {
  name: 'appointment_reminder',
  language: 'es_AR',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: [
    {
      type: 'BODY',
      text: 'Hola {{1}}, tu turno con {{2}} es el {{3}}.',
      example: { body_text: [['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo']] },
    },
    { type: 'FOOTER', text: 'SaludCenter · turnos' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirmar' },
        { type: 'QUICK_REPLY', text: 'Cancelar' },
      ],
    },
  ],
};

const taxiDiscount: TemplateDefinition = {
  name: 'taxi_discount',
  language: 'es_AR',
  category: 'MARKETING',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example/taxi.jpg'] } },
    { type: 'BODY', text: 'Hola {{1}}, tenés {{2}} de descuento.' },
    {
      type: 'BUTTONS',
      buttons: [
        {
          type: 'URL',
          text: 'Ver condiciones',
          url: 'https://s.example/promos/{{1}}',
          example: ['https://s.example/promos/taxi10'],
        },
        { type: 'COPY_CODE', example: 'TAXI10' },
        { type: 'PHONE_NUMBER', text: 'Llamar', phone_number: '+5491155550000' },
        { type: 'URL', text: 'Sitio', url: 'https://s.example' },
      ],
    },
  ],
};

describe('renderTemplate', () => {
  it('shows the message with the values filled in', () => {
    const r = renderTemplate(appointmentReminder, {
      body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
      buttons: [{ payload: 'appt:1:yes' }, null],
    });
    expect(r).toEqual({
      body: 'Hola Emilia, tu turno con la Dra. Gómez es el lunes 3 de marzo a las 10:00.',
      footer: 'SaludCenter · turnos',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirmar', payload: 'appt:1:yes' },
        { type: 'QUICK_REPLY', text: 'Cancelar' },
      ],
      missing: [],
    });
  });

  it('falls back to the example for a missing value and reports it', () => {
    const r = renderTemplate(appointmentReminder, { body: ['Ana'] });
    expect(r.body).toBe('Hola Ana, tu turno con la Dra. Gómez es el lunes 3 de marzo.');
    expect(r.missing).toEqual(['body.{{2}}', 'body.{{3}}']);
  });

  it('shows the raw variable when there is no example either', () => {
    const r = renderTemplate(taxiDiscount, { body: ['Emilia'] });
    expect(r.body).toBe('Hola Emilia, tenés {{2}} de descuento.');
    expect(r.missing).toContain('body.{{2}}');
  });

  it('shows currency and dates as their fallback text, numbers as written', () => {
    const def: TemplateDefinition = {
      name: 'invoice',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Order {{1}}: {{2}} due {{3}}' }],
    };
    const r = renderTemplate(def, {
      body: [
        8812,
        { currency: { fallback_value: '$42.50', code: 'USD', amount_1000: 42500 } },
        { date_time: { fallback_value: 'March 3' } },
      ],
    });
    expect(r.body).toBe('Order 8812: $42.50 due March 3');
  });

  it('fills named variables and reports missing names', () => {
    const def: TemplateDefinition = {
      name: 'resume',
      language: 'es_AR',
      category: 'UTILITY',
      parameter_format: 'NAMED',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Hola {{first_name}}' },
        {
          type: 'BODY',
          text: '{{first_name}}, seguimos con {{topic}}?',
          example: { body_text_named_params: [{ param_name: 'topic', example: 'tu turno' }] },
        },
      ],
    };
    const r = renderTemplate(def, { header: { text: 'Emilia' }, body: { first_name: 'Emilia' } });
    expect(r.header).toEqual({ kind: 'text', text: 'Hola Emilia' });
    expect(r.body).toBe('Emilia, seguimos con tu turno?');
    expect(r.missing).toEqual(['body.{{topic}}']);
  });

  it('does not read a positional array as named values', () => {
    const def: TemplateDefinition = {
      name: 'resume',
      language: 'es_AR',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hola {{first_name}}' }],
    };
    expect(renderTemplate(def, { body: ['Emilia'] }).missing).toEqual(['body.{{first_name}}']);
  });

  it('renders media headers and every kind of button', () => {
    const r = renderTemplate(taxiDiscount, {
      header: { image: { link: 'https://cdn.example/promo.jpg' } },
      body: ['Emilia', '10%'],
      buttons: [{ url_suffix: 'taxi25' }, { coupon_code: 'TAXI25' }],
    });
    expect(r.header).toEqual({ kind: 'image', ref: 'https://cdn.example/promo.jpg' });
    expect(r.buttons).toEqual([
      { type: 'URL', text: 'Ver condiciones', url: 'https://s.example/promos/taxi25' },
      { type: 'COPY_CODE', text: 'Copy offer code', code: 'TAXI25' },
      { type: 'PHONE_NUMBER', text: 'Llamar', phone: '+5491155550000' },
      { type: 'URL', text: 'Sitio', url: 'https://s.example' },
    ]);
    expect(r.missing).toEqual([]);
  });

  it('previews missing media and button values from the examples', () => {
    const r = renderTemplate(taxiDiscount, { body: ['Emilia', '10%'] });
    expect(r.header).toEqual({ kind: 'image', ref: 'https://cdn.example/taxi.jpg' });
    expect(r.buttons[0]?.url).toBe('https://s.example/promos/taxi10');
    expect(r.buttons[1]?.code).toBe('TAXI10');
    expect(r.missing).toEqual(['header.image', 'buttons[0].url_suffix', 'buttons[1].coupon_code']);
  });

  it('labels a document with its filename and a location with its name', () => {
    const doc: TemplateDefinition = {
      name: 'doc',
      language: 'en',
      category: 'UTILITY',
      components: [
        { type: 'HEADER', format: 'DOCUMENT' },
        { type: 'BODY', text: 'Your invoice' },
      ],
    };
    const header = { document: { id: '77', filename: 'factura.pdf' } };
    expect(renderTemplate(doc, { header }).header).toEqual({
      kind: 'document',
      ref: '77',
      label: 'factura.pdf',
    });

    const place: TemplateDefinition = {
      ...doc,
      components: [
        { type: 'HEADER', format: 'LOCATION' },
        { type: 'BODY', text: 'See you here' },
      ],
    };
    const location = { location: { latitude: -34.6, longitude: -58.38, name: 'SaludCenter' } };
    expect(renderTemplate(place, { header: location }).header).toEqual({
      kind: 'location',
      ref: '-34.6,-58.38',
      label: 'SaludCenter',
    });
    expect(renderTemplate(place).missing).toEqual(['header.location']);
  });

  it('renders without any values, listing everything that is missing', () => {
    const r = renderTemplate(appointmentReminder);
    expect(r.body).toBe('Hola Emilia, tu turno con la Dra. Gómez es el lunes 3 de marzo.');
    expect(r.missing).toEqual(['body.{{1}}', 'body.{{2}}', 'body.{{3}}']);
  });

  it('validates like a send when strict', () => {
    expect(() => renderTemplate(appointmentReminder, { body: ['Ana'] }, { strict: true })).toThrow(
      RecontactError,
    );
    expect(renderTemplate(appointmentReminder, { body: ['a', 'b', 'c'] }, { strict: true }).missing).toEqual(
      [],
    );
  });
});
