import { describe, expect, it } from 'vitest';
import { type ErrorDetail, RecontactError } from '../errors';
import { bindTemplate, hydrateText, parameterFormat } from './bind';
import type { TemplateDefinition, TemplateParams } from './model';

const appointmentReminder: TemplateDefinition = {
  name: 'appointment_reminder',
  language: 'es_AR',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: [
    {
      type: 'BODY',
      text: 'Hola {{1}}, te recordamos tu turno en SaludCenter con {{2}} el {{3}}. ¿Podés confirmar tu asistencia?',
      example: { body_text: [['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00']] },
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

const resumeConversation: TemplateDefinition = {
  name: 'resume_conversation',
  language: 'es_AR',
  category: 'UTILITY',
  parameter_format: 'NAMED',
  components: [
    {
      type: 'BODY',
      text: 'Hola {{first_name}}, una persona ya está disponible para ayudarte con {{topic}}. ¿Seguimos?',
      example: {
        body_text_named_params: [
          { param_name: 'first_name', example: 'Emilia' },
          { param_name: 'topic', example: 'tu turno' },
        ],
      },
    },
  ],
};

const taxiDiscount: TemplateDefinition = {
  name: 'taxi_discount',
  language: 'es_AR',
  category: 'MARKETING',
  parameter_format: 'POSITIONAL',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example/taxi.jpg'] } },
    {
      type: 'BODY',
      text: 'Hola {{1}}, tenés un {{2}} de descuento.',
      example: { body_text: [['Emilia', '10%']] },
    },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Quiero el código' },
        { type: 'URL', text: 'Ver condiciones', url: 'https://saludcenter.example/promos/{{1}}' },
        { type: 'COPY_CODE', example: 'TAXI10' },
        { type: 'URL', text: 'Sitio', url: 'https://saludcenter.example' },
        { type: 'PHONE_NUMBER', text: 'Llamar', phone_number: '+5491155550000' },
      ],
    },
  ],
};

function withHeader(
  header: TemplateDefinition['components'][number],
  body = 'Hola {{1}}',
): TemplateDefinition {
  return {
    name: 'with_header',
    language: 'en',
    category: 'UTILITY',
    components: [header, { type: 'BODY', text: body }],
  };
}

function rejection(def: TemplateDefinition, params: unknown): RecontactError {
  try {
    bindTemplate(def, params as TemplateParams);
  } catch (e) {
    if (e instanceof RecontactError) return e;
    throw e;
  }
  throw new Error('expected bindTemplate to reject the values');
}

function problems(def: TemplateDefinition, params: unknown): ErrorDetail[] {
  return rejection(def, params).details;
}

describe('bindTemplate: the Cloud API shape', () => {
  it('binds a positional body and quick-reply payloads', () => {
    const bound = bindTemplate(appointmentReminder, {
      body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
      buttons: [{ payload: 'appt:8812:confirm' }, { payload: 'appt:8812:cancel' }],
    });
    expect(bound).toEqual({
      name: 'appointment_reminder',
      language: { code: 'es_AR', policy: 'deterministic' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Emilia' },
            { type: 'text', text: 'la Dra. Gómez' },
            { type: 'text', text: 'lunes 3 de marzo a las 10:00' },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'appt:8812:confirm' }],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '1',
          parameters: [{ type: 'payload', payload: 'appt:8812:cancel' }],
        },
      ],
    });
  });

  it('omits the component of a quick reply given no payload, keeping the index of the others', () => {
    const bound = bindTemplate(appointmentReminder, {
      body: ['a', 'b', 'c'],
      buttons: [null, { payload: 'no' }],
    });
    const buttons = bound.components?.filter((c) => c.type === 'button');
    expect(buttons).toEqual([
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '1',
        parameters: [{ type: 'payload', payload: 'no' }],
      },
    ]);
  });

  it('converts numbers to strings', () => {
    const bound = bindTemplate(appointmentReminder, { body: ['Emilia', 8812, 3.5] });
    expect(bound.components?.[0]).toEqual({
      type: 'body',
      parameters: [
        { type: 'text', text: 'Emilia' },
        { type: 'text', text: '8812' },
        { type: 'text', text: '3.5' },
      ],
    });
  });

  it('names each value of a NAMED template, in the order the body uses them', () => {
    const bound = bindTemplate(resumeConversation, { body: { topic: 'tu turno', first_name: 'Emilia' } });
    expect(bound.components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia', parameter_name: 'first_name' },
          { type: 'text', text: 'tu turno', parameter_name: 'topic' },
        ],
      },
    ]);
  });

  it('binds a media header, URL suffix and coupon code; static buttons get no component', () => {
    const bound = bindTemplate(taxiDiscount, {
      header: { image: { link: 'https://cdn.example/taxi.jpg' } },
      body: ['Emilia', '10%'],
      buttons: [null, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
    });
    expect(bound.components).toEqual([
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example/taxi.jpg' } }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia' },
          { type: 'text', text: '10%' },
        ],
      },
      { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'taxi10' }] },
      {
        type: 'button',
        sub_type: 'copy_code',
        index: '2',
        parameters: [{ type: 'coupon_code', coupon_code: 'TAXI10' }],
      },
    ]);
  });

  it('binds currency and date_time values', () => {
    const def = withHeader({ type: 'HEADER', format: 'TEXT', text: 'Factura' }, 'Total {{1}} al {{2}}');
    const bound = bindTemplate(def, {
      body: [
        { currency: { fallback_value: '$42.50', code: 'USD', amount_1000: 42500 } },
        { date_time: { fallback_value: 'March 3, 2026' } },
      ],
    });
    expect(bound.components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'currency', currency: { fallback_value: '$42.50', code: 'USD', amount_1000: 42500 } },
          { type: 'date_time', date_time: { fallback_value: 'March 3, 2026' } },
        ],
      },
    ]);
  });

  it('sends a template without variables with no components at all', () => {
    const def: TemplateDefinition = {
      name: 'hello',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello there' }],
    };
    expect(bindTemplate(def, undefined)).toEqual({
      name: 'hello',
      language: { code: 'en', policy: 'deterministic' },
    });
  });

  it('repeats the body code in the OTP button of an authentication template', () => {
    const def: TemplateDefinition = {
      name: 'otp',
      language: 'en',
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', text: '{{1}} is your code.' },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
      ],
    };
    expect(bindTemplate(def, { body: ['482913'] }).components).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: '482913' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
    ]);
  });
});

describe('bindTemplate: headers', () => {
  it('binds a text header variable, named when the template is NAMED', () => {
    const positional = withHeader({ type: 'HEADER', format: 'TEXT', text: 'Turno {{1}}' });
    expect(bindTemplate(positional, { header: { text: '#12' }, body: ['x'] }).components?.[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'text', text: '#12' }],
    });
    const named = withHeader({ type: 'HEADER', format: 'TEXT', text: 'Turno {{ref}}' }, 'Hola {{name}}');
    expect(bindTemplate(named, { header: { text: '#12' }, body: { name: 'x' } }).components?.[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'text', text: '#12', parameter_name: 'ref' }],
    });
  });

  it('requires the text header value and refuses one for a fixed header', () => {
    const variable = withHeader({ type: 'HEADER', format: 'TEXT', text: 'Turno {{1}}' });
    expect(problems(variable, { body: ['x'] })).toEqual([
      { path: 'template.header', message: 'the header "Turno {{1}}" needs { text } for {{1}}, got nothing' },
    ]);
    const fixed = withHeader({ type: 'HEADER', format: 'TEXT', text: 'Turnos' });
    expect(problems(fixed, { header: { text: 'x' }, body: ['x'] })[0]?.message).toBe(
      'the header is fixed text ("Turnos") and takes no value, got { text }',
    );
  });

  it('limits a header text value to 60 characters, counting an emoji as one', () => {
    const def = withHeader({ type: 'HEADER', format: 'TEXT', text: 'Turno {{1}}' });
    expect(() => bindTemplate(def, { header: { text: '🙂'.repeat(60) }, body: ['x'] })).not.toThrow();
    expect(problems(def, { header: { text: 'a'.repeat(61) }, body: ['x'] })).toEqual([
      { path: 'template.header.text', message: 'header value {{1}} is 61 characters long; the limit is 60' },
    ]);
  });

  it('refuses the wrong media kind', () => {
    expect(
      problems(taxiDiscount, {
        header: { video: { link: 'https://x.example/a.mp4' } },
        body: ['a', 'b'],
        buttons: [null, { url_suffix: 'x' }, { coupon_code: 'C' }],
      }),
    ).toEqual([
      {
        path: 'template.header',
        message: 'IMAGE header needs an image ({ image: { link } } or { image: { id } }), got a video',
      },
    ]);
  });

  it('needs exactly one of link and id, and a usable link', () => {
    const def = withHeader({ type: 'HEADER', format: 'VIDEO' });
    expect(
      problems(def, { header: { video: { link: 'https://a', id: '1' } }, body: ['x'] })[0]?.message,
    ).toBe('the video needs exactly one of link or id, got both');
    expect(problems(def, { header: { video: {} }, body: ['x'] })[0]?.message).toBe(
      'the video needs exactly one of link or id, got neither',
    );
    expect(problems(def, { header: { video: { link: 'cdn/a.mp4' } }, body: ['x'] })).toEqual([
      {
        path: 'template.header.video.link',
        message: 'the video link must be an http(s) URL, got "cdn/a.mp4"',
      },
    ]);
    expect(
      bindTemplate(def, { header: { video: { id: '1234567890' } }, body: ['x'] }).components?.[0],
    ).toEqual({
      type: 'header',
      parameters: [{ type: 'video', video: { id: '1234567890' } }],
    });
  });

  it('passes a document filename along', () => {
    const def = withHeader({ type: 'HEADER', format: 'DOCUMENT' });
    const header = { document: { link: 'https://cdn.example/inv.pdf', filename: 'factura.pdf' } };
    expect(bindTemplate(def, { header, body: ['x'] }).components?.[0]).toEqual({
      type: 'header',
      parameters: [
        { type: 'document', document: { link: 'https://cdn.example/inv.pdf', filename: 'factura.pdf' } },
      ],
    });
  });

  it('binds a location, sending coordinates as strings', () => {
    const def = withHeader({ type: 'HEADER', format: 'LOCATION' });
    const header = { location: { latitude: -34.6037, longitude: '-58.3816', name: 'SaludCenter' } };
    expect(bindTemplate(def, { header, body: ['x'] }).components?.[0]).toEqual({
      type: 'header',
      parameters: [
        { type: 'location', location: { latitude: '-34.6037', longitude: '-58.3816', name: 'SaludCenter' } },
      ],
    });
  });

  it('needs both coordinates, in range', () => {
    const def = withHeader({ type: 'HEADER', format: 'LOCATION' });
    expect(problems(def, { header: { location: { latitude: 95 } }, body: ['x'] })).toEqual([
      {
        path: 'template.header.location.latitude',
        message: 'the location latitude must be a number from -90 to 90, got number 95',
      },
      {
        path: 'template.header.location.longitude',
        message: 'the location longitude must be a number from -180 to 180, got nothing',
      },
    ]);
  });

  it('refuses a header value for a template without a header', () => {
    expect(problems(appointmentReminder, { header: { text: 'x' }, body: ['a', 'b', 'c'] })).toEqual([
      { path: 'template.header', message: 'the template has no header, got a header value' },
    ]);
  });
});

describe('bindTemplate: body values', () => {
  it('reports a count mismatch against the variables it names', () => {
    expect(problems(appointmentReminder, { body: ['Emilia', 'la Dra. Gómez'] })).toEqual([
      { path: 'template.body[2]', message: 'expected 3 body values ({{1}}..{{3}}), got 2' },
    ]);
    expect(problems(appointmentReminder, { body: ['a', 'b', 'c', 'd'] })).toEqual([
      { path: 'template.body[3]', message: 'expected 3 body values ({{1}}..{{3}}), got 4' },
    ]);
    expect(problems(appointmentReminder, undefined)).toEqual([
      { path: 'template.body', message: 'expected 3 body values ({{1}}..{{3}}), got none' },
    ]);
  });

  it('refuses the wrong shape for the template’s parameter format', () => {
    expect(problems(appointmentReminder, { body: { 1: 'Emilia' } })[0]?.message).toMatch(
      /uses positional variables \(\{\{1\}\}\.\.\{\{3\}\}\), so its values are an array in that order; got \{ 1 \}/,
    );
    expect(problems(resumeConversation, { body: ['Emilia', 'tu turno'] })[0]?.message).toMatch(
      /uses named variables \(\{\{first_name\}\}, \{\{topic\}\}\), so its values are an object keyed by name; got an array of 2/,
    );
  });

  it('names missing and unknown named values', () => {
    expect(problems(resumeConversation, { body: { first_name: 'Emilia', topc: 'x' } })).toEqual([
      {
        path: 'template.body.topc',
        message: 'the body has no variable {{topc}}; it has {{first_name}}, {{topic}}',
      },
      {
        path: 'template.body.topic',
        message: 'missing body value for {{topic}} (the body needs {{first_name}}, {{topic}})',
      },
    ]);
  });

  const rejected = ', which WhatsApp rejects in a parameter';
  it.each([
    ['a line break', 'Emilia\nGómez', `contains a line break${rejected}`],
    ['a tab', 'Emilia\tGómez', `contains a tab${rejected}`],
    ['5 spaces in a row', 'Emilia     Gómez', `has more than 4 consecutive spaces${rejected}`],
    ['only spaces', '   ', 'is empty'],
  ])('refuses text with %s', (_, text, problem) => {
    expect(problems(appointmentReminder, { body: ['a', text, 'c'] })).toEqual([
      { path: 'template.body[1]', message: `body value {{2}} ${problem}` },
    ]);
  });

  it('accepts 4 spaces in a row', () => {
    expect(() => bindTemplate(appointmentReminder, { body: ['a', 'b    c', 'd'] })).not.toThrow();
  });

  it('limits a body value to 1,024 characters', () => {
    expect(() => bindTemplate(appointmentReminder, { body: ['a', 'b'.repeat(1024), 'c'] })).not.toThrow();
    expect(problems(appointmentReminder, { body: ['a', 'b'.repeat(1025), 'c'] })[0]?.message).toBe(
      'body value {{2}} is 1025 characters long; the limit is 1024',
    );
  });

  it('checks currency and date_time values', () => {
    const def = withHeader({ type: 'HEADER', format: 'TEXT', text: 'Factura' }, 'Total {{1}} al {{2}}');
    const found = problems(def, {
      body: [{ currency: { fallback_value: '$42.50', code: 'usd', amount_1000: 42.5 } }, { date_time: {} }],
    });
    expect(found.map((p) => p.path)).toEqual([
      'template.body[0].currency.code',
      'template.body[0].currency.amount_1000',
      'template.body[1].date_time.fallback_value',
    ]);
    expect(found[0]?.message).toMatch(/3 capital letters \(ISO 4217, e\.g\. "ARS"\), got "usd"/);
  });

  it('refuses values of no known kind', () => {
    expect(problems(appointmentReminder, { body: ['a', true, { when: 'x' }] })).toEqual([
      {
        path: 'template.body[1]',
        message: 'body value {{2}} must be text, a number, { currency } or { date_time }, got boolean true',
      },
      {
        path: 'template.body[2]',
        message: 'body value {{3}} must be text, a number, { currency } or { date_time }, got { when }',
      },
    ]);
  });

  it('refuses body values for a body without variables', () => {
    const def: TemplateDefinition = {
      name: 'hello',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello there' }],
    };
    expect(problems(def, { body: ['x'] })).toEqual([
      { path: 'template.body', message: 'the body has no variables, got 1 value' },
    ]);
  });
});

describe('bindTemplate: buttons', () => {
  const body = ['Emilia', '10%'];
  const header = { image: { id: '42' } };

  it('needs a URL suffix and a coupon code', () => {
    expect(problems(taxiDiscount, { header, body })).toEqual([
      {
        path: 'template.buttons[1]',
        message:
          'URL button "Ver condiciones" needs { url_suffix } to complete https://saludcenter.example/promos/{{1}}, got nothing',
      },
      {
        path: 'template.buttons[2]',
        message: 'copy-code button needs { coupon_code } (at most 15 characters), got nothing',
      },
    ]);
  });

  it('limits coupon codes to 15 characters and payloads to 256', () => {
    const found = problems(taxiDiscount, {
      header,
      body,
      buttons: [{ payload: 'p'.repeat(257) }, { url_suffix: 'x' }, { coupon_code: 'SIXTEEN-CHARS-XX' }],
    });
    expect(found).toEqual([
      {
        path: 'template.buttons[0].payload',
        message: 'quick-reply button "Quiero el código" payload is 257 characters long; the limit is 256',
      },
      {
        path: 'template.buttons[2].coupon_code',
        message: 'copy-code button coupon_code is 16 characters long; the limit is 15',
      },
    ]);
  });

  it('refuses a value for a static URL or phone button', () => {
    const found = problems(taxiDiscount, {
      header,
      body,
      buttons: [null, { url_suffix: 'x' }, { coupon_code: 'C' }, { url_suffix: 'y' }, { payload: 'z' }],
    });
    expect(found).toEqual([
      {
        path: 'template.buttons[3]',
        message:
          'URL button "Sitio" links to a fixed address (https://saludcenter.example) and takes no value, got { url_suffix }',
      },
      {
        path: 'template.buttons[4]',
        message:
          'phone button "Llamar" calls a fixed number (+5491155550000) and takes no value, got { payload }',
      },
    ]);
  });

  it('refuses the wrong kind of value for a button', () => {
    expect(problems(appointmentReminder, { body: ['a', 'b', 'c'], buttons: [{ url_suffix: 'x' }] })).toEqual([
      {
        path: 'template.buttons[0]',
        message: 'quick-reply button "Confirmar" takes { payload }, got { url_suffix }',
      },
    ]);
  });

  it('refuses more button values than the template has buttons', () => {
    expect(
      problems(appointmentReminder, { body: ['a', 'b', 'c'], buttons: [null, null, { payload: 'x' }] }),
    ).toEqual([{ path: 'template.buttons', message: 'the template has 2 buttons, got 3 button values' }]);
  });

  it('refuses buttons that are not an array', () => {
    expect(
      problems(appointmentReminder, { body: ['a', 'b', 'c'], buttons: { payload: 'x' } })[0]?.message,
    ).toBe("buttons must be an array aligned with the template's buttons, got { payload }");
  });
});

describe('bindTemplate: the error', () => {
  it('collects every problem into one TEMPLATE_PARAMS_INVALID error with a hint built from the examples', () => {
    const err = rejection(appointmentReminder, {
      body: ['Emilia\n', 'la Dra. Gómez'],
      buttons: [{ payload: '' }],
      extra: 1,
    });
    expect(err.code).toBe('TEMPLATE_PARAMS_INVALID');
    expect(err.message).toBe('Template appointment_reminder (es_AR) cannot be sent with these values');
    expect(err.details.map((d) => d.path)).toEqual([
      'template.extra',
      'template.body[2]',
      'template.body[0]',
      'template.buttons[0].payload',
    ]);
    expect(err.hint).toContain('["Emilia","la Dra. Gómez","lunes 3 de marzo a las 10:00"]');
    expect(err.hint).toContain('buttons[]');
  });

  it('hints the object shape for a NAMED template', () => {
    expect(rejection(resumeConversation, { body: [] }).hint).toContain(
      'an object keyed by name: {"first_name":"Emilia","topic":"tu turno"}',
    );
  });

  it('refuses values that are not an object', () => {
    expect(problems(appointmentReminder, 'Emilia')[0]).toEqual({
      path: 'template',
      message: 'values must be an object { header?, body?, buttons? }, got "Emilia"',
    });
  });

  it('treats keys left undefined by a validator as absent', () => {
    expect(() =>
      bindTemplate(appointmentReminder, {
        header: undefined,
        body: ['a', 'b', 'c'],
        buttons: [{ payload: 'x', url_suffix: undefined } as unknown as { payload: string }],
      }),
    ).not.toThrow();
  });
});

describe('parameterFormat', () => {
  it('reads the format from the variables, defaulting to POSITIONAL', () => {
    expect(parameterFormat(appointmentReminder)).toBe('POSITIONAL');
    expect(parameterFormat({ ...resumeConversation, parameter_format: undefined })).toBe('NAMED');
    expect(parameterFormat({ name: 'x', language: 'en', category: 'UTILITY', components: [] })).toBe(
      'POSITIONAL',
    );
  });
});

describe('hydrateText', () => {
  it('fills positional variables from an array', () => {
    expect(hydrateText('Hola {{1}}, turno con {{2}}', ['Emilia', 'la Dra. Gómez'])).toBe(
      'Hola Emilia, turno con la Dra. Gómez',
    );
  });

  it('fills named variables, including repeats and spaced braces', () => {
    expect(hydrateText('{{name}} / {{ name }} / {{other}}', { name: 'Emilia' })).toBe(
      'Emilia / Emilia / {{other}}',
    );
  });

  it('leaves variables without a value as written', () => {
    expect(hydrateText('Hola {{1}} {{2}}', ['Emilia'])).toBe('Hola Emilia {{2}}');
  });
});
