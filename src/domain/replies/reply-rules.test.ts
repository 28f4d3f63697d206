import { describe, expect, it } from 'vitest';
import { checkRouting } from '../templates/routing';
import { checkReplyRouting, matchReply, REPLY_ROUTING_LIMITS, routingInForce } from './reply-rules';

const paths = (raw: unknown, at?: string) => {
  const c = checkReplyRouting(raw, at);
  return c.ok ? [] : c.problems.map((p) => p.path);
};

const TABLE = {
  on_reply: [
    {
      match: { payload: ['CONFIRM'] },
      actions: [
        { answer: { text: '¡Gracias! Te esperamos.' } },
        { set_attribute: { appointment_status: 'confirmed' } },
        { tag: ['confirmed'] },
      ],
    },
    { match: { payload: ['CANCEL'] }, actions: [{ untag: 'confirmed' }, { handoff: { reason: 'cancel' } }] },
    { match: { text: ['Sí', 'si'] }, actions: [{ opt_out: 'marketing' }] },
    { match: { any: true }, actions: [{ wait: { reason: 'agent' } }] },
  ],
};

describe('reply routing tables', () => {
  it('reads a table as written, in its canonical form', () => {
    const c = checkReplyRouting(TABLE);
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.value.on_reply[1]!.actions).toEqual([
      { untag: ['confirmed'] },
      { handoff: { reason: 'cancel' } },
    ]);
    expect(c.value.on_reply[3]!.match).toEqual({ any: true });
  });

  it('names every problem by its path', () => {
    expect(
      paths({
        on_reply: [
          { match: {}, actions: [{ tag: ['ok'] }] },
          { match: { payload: ['X'] }, actions: [{ shout: 'hey' }] },
          { match: { payload: ['X'] }, actions: [{ set_attribute: { 'bad name': 1, phone: 'x' } }] },
          { match: { any: true }, actions: [{ answer: { text: 'a'.repeat(4097) } }, { tag: ['a,b'] }] },
          { match: { any: true, payload: ['X'] }, actions: [] },
          { match: { text: [''] }, actions: [{ opt_out: 'sms' }, { wait: {} }] },
        ],
      }),
    ).toEqual([
      'routing.on_reply[0].match',
      'routing.on_reply[1].actions[0].shout',
      'routing.on_reply[2].actions[0].set_attribute.bad name',
      'routing.on_reply[2].actions[0].set_attribute.phone',
      'routing.on_reply[3].actions[0].answer',
      'routing.on_reply[3].actions[1].tag[0]',
      'routing.on_reply[4].match.any',
      'routing.on_reply[4].actions',
      'routing.on_reply[5].match.text[0]',
      'routing.on_reply[5].actions[0].opt_out',
      'routing.on_reply[5].actions[1].wait.reason',
    ]);
    expect(paths({ on_reply: [] }, 'body.routing')).toEqual([]);
    expect(paths({ rules: [] }, 'body.routing')).toEqual(['body.routing.rules', 'body.routing.on_reply']);
    expect(paths('CONFIRM')).toEqual(['routing']);
  });

  it('bounds sizes and refuses contradictions', () => {
    const many = Array.from({ length: REPLY_ROUTING_LIMITS.rules + 1 }, () => TABLE.on_reply[0]);
    expect(paths({ on_reply: many })).toEqual(['routing.on_reply']);
    expect(
      paths({
        on_reply: [
          { match: { any: true }, actions: [{ wait: { reason: 'agent' } }, { clear_waiting: true }] },
          { match: { any: true }, actions: [{ tag: ['x'] }, { untag: ['x'] }] },
          { match: { any: true }, actions: [{ answer: { text: 'a' } }, { answer: { text: 'b' } }] },
        ],
      }),
    ).toEqual([
      'routing.on_reply[0].actions[1].clear_waiting',
      'routing.on_reply[1].actions[1].untag',
      'routing.on_reply[2].actions[1].answer',
    ]);
  });

  it("lives beside a template's opt_out and opt_in", () => {
    const c = checkRouting({ opt_out: { marketing: ['STOP'] }, ...TABLE });
    expect(c.ok && c.value?.on_reply?.length).toBe(4);
    const bad = checkRouting({ on_reply: [{ match: { payload: ['X'] }, actions: [{ tag: [] }] }] });
    expect(bad.ok ? [] : bad.problems.map((p) => p.path)).toEqual(['routing.on_reply[0].actions[0].tag']);
  });

  it('the first matching rule wins: payload exactly, text loosely, button labels as text', () => {
    const c = checkReplyRouting(TABLE);
    if (!c.ok) throw new Error('table');
    const rules = c.value.on_reply;
    const reply = (p: { payload?: string; text?: string; buttonText?: string }) => ({
      payload: p.payload ?? null,
      text: p.text ?? null,
      buttonText: p.buttonText ?? null,
    });
    expect(matchReply(rules, reply({ payload: 'CONFIRM', text: 'Confirmar' }))).toMatchObject({
      index: 0,
      matched: 'payload:CONFIRM',
    });
    expect(matchReply(rules, reply({ payload: 'confirm' }))).toMatchObject({ index: 3, matched: 'any' });
    expect(matchReply(rules, reply({ text: '  SÍ ' }))).toMatchObject({ index: 2, matched: 'text:Sí' });
    expect(matchReply(rules, reply({ payload: 'P', buttonText: 'si' }))).toMatchObject({ index: 2 });
    expect(matchReply(rules.slice(0, 3), reply({ text: 'hola' }))).toBeUndefined();
    const byPrefix = [{ match: { payload: ['CONFIRM:*'] }, actions: [{ tag: ['x'] }] }];
    expect(matchReply(byPrefix, reply({ payload: 'CONFIRM:appt-123' }))).toMatchObject({
      matched: 'payload:CONFIRM:appt-123',
    });
    expect(matchReply(byPrefix, reply({ payload: 'CANCEL:appt-123' }))).toBeUndefined();
  });

  it('takes the message table over the campaign one over the template one, whole', () => {
    const t = { on_reply: [] };
    expect(routingInForce({ message: null, campaign: null, template: null })).toBeUndefined();
    expect(routingInForce({ message: null, campaign: null, template: TABLE as never })?.source).toBe(
      'template',
    );
    expect(routingInForce({ message: null, campaign: t, template: TABLE as never })).toEqual({
      source: 'campaign',
      routing: t,
    });
    expect(routingInForce({ message: t, campaign: TABLE as never, template: TABLE as never })?.source).toBe(
      'message',
    );
  });
});
