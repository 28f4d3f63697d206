/**
 * Waiting marks and the resume-contact rule end to end on both databases, on one controllable
 * clock shared by Recontact and the sandbox: Emilia asks for an agent with a window 23 h 59 min
 * old, the window closes, the resume template goes exactly once (two workers racing), her reply
 * emits conversation.resumed with her original question and handoff.requested; a mark's own rule
 * against the account's, none, a mark on a closed window, a reply while still waiting, the
 * consent and template checks when the rule fires, clearing, and the validation errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { openStore, type Store } from '../../src/store/database';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';
import { writtenEvents } from '../support/written-events';

const MIN = 60_000;
const HOUR = 60 * MIN;

const ACCOUNT_RULE = {
  template: {
    name: 'resume_conversation',
    language: 'es_AR',
    body: {
      first_name: { from: 'contact.first_name', default: 'Hola' },
      topic: { from: 'waiting.metadata.topic' },
    },
  },
  before_close_minutes: 0,
  handoff: true,
};

describe.each(DIALECTS)('waiting and the resume-contact rule on %s', (dialect) => {
  let h: Harness;
  let offset = 0;
  const clock = () => Date.now() + offset;
  let second: { app: App; store: Store | undefined } | undefined;
  let n = 0;
  const user = () => `54911555${String(9000 + ++n).padStart(5, '0')}`;

  const write = async (waId: string, text: string, ageMs = 0) => {
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, waId, text, { at: clock() - ageMs });
    const e = await h.waitFor(`message.received "${text}"`, () =>
      h.events.find((x) => x.type === 'message.received' && x.data.message.text === text),
    );
    return e.data.contact.id as string;
  };
  const written = async (type: string, contactId: string) => {
    const rows = await writtenEvents(h.store.db, type);
    return rows.map((r) => JSON.parse(r.payload)).filter((p) => p.contact.id === contactId);
  };
  const delivered = (type: string, contactId: string) =>
    h.events.filter((e) => e.type === type && e.data.contact.id === contactId);
  /** Both workers' passes at once, a few times. */
  const race = async () => {
    for (let i = 0; i < 3; i++) {
      await Promise.all([h.app.conversations.runOnce(), second!.app.conversations.runOnce()]);
    }
  };
  const mark = (contact: string, body: Record<string, unknown>) =>
    h.api('POST', `/v1/contacts/${contact}/waiting`, body);
  const contactView = async (id: string) => (await h.api('GET', `/v1/contacts/${id}`)).json;

  beforeAll(async () => {
    h = await startHarness(dialect, { clock, sandbox: { now: clock } });
    // A second worker on the same database (on SQLite through the same connection: see
    // window-timers.test.ts).
    const store =
      dialect === 'postgres'
        ? await openStore({ url: h.store.url, ...(h.store.pgSchema ? { pgSchema: h.store.pgSchema } : {}) })
        : undefined;
    const app = await createApp({
      config: h.app.config,
      store: store ?? h.store,
      clock,
      runDispatcher: false,
    });
    second = { app, store };
    const put = await h.api('PUT', '/v1/accounts/acc_default/resume-rule', ACCOUNT_RULE);
    expect(put.status, JSON.stringify(put.json)).toBe(200);
  });
  afterAll(async () => {
    await second?.app.stop();
    await second?.store?.close();
    await h?.close();
  });

  it('resumes Emilia once when her window closes, and hands her original question over when she replies', async () => {
    const waId = user();
    const contactId = await write(waId, 'Quiero hablar con una persona', 24 * HOUR - MIN);
    const res = await mark(`+${waId}`, {
      reason: 'agent',
      question: '¿Puedo cambiar mi turno del lunes?',
      metadata: { topic: 'tu turno', ticket: 'T-1' },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const closesAt = (await contactView(contactId)).window.expires_at;
    expect(res.json).toMatchObject({
      state: 'waiting',
      reason: 'agent',
      resume: {
        template: { name: 'resume_conversation', language: 'es_AR' },
        before_close_minutes: 0,
        handoff: true,
        source: 'account',
      },
      resume_due_at: closesAt,
      resume_message_id: null,
    });
    const again = await mark(contactId, { reason: 'agent' });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('WAITING_ACTIVE');
    await h.waitFor('conversation.waiting', () => delivered('conversation.waiting', contactId).length === 1);

    await race(); // not due yet
    expect(await written('conversation.resume_sent', contactId)).toHaveLength(0);
    offset += 2 * MIN;
    await race();
    await race();
    const sent = await written('conversation.resume_sent', contactId);
    expect(sent).toHaveLength(1);
    expect(sent[0].message.template).toEqual({ name: 'resume_conversation', language: 'es_AR' });
    const messageId = sent[0].message.id as string;
    const template = await h.waitFor('the resume template at Meta', () =>
      h.embedded.sandbox
        .sent()
        .find((r) => r.to === waId && r.type === 'template' && r.errorCode === undefined),
    );
    expect(template.bizOpaque).toBe(messageId);
    // The window's close came first in the same pass, naming the mark still waiting.
    const expired = await written('window.expired', contactId);
    expect(expired).toHaveLength(1);
    expect(expired[0].waiting).toMatchObject({ id: res.json.id, state: 'waiting' });

    // The agent's answer, written while the window is closed, is held for her reply.
    const answer = await h.api('POST', '/v1/messages', {
      to: `+${waId}`,
      text: { body: 'Sí, podés pasarlo al martes.' },
      when_closed: { template: REMINDER.template },
    });
    expect(answer.json.path, JSON.stringify(answer.json)).toBe('template_then_held');
    // The resume template is her invitation: the answer waits behind it, no second template.
    expect(answer.json).toMatchObject({ template_message_id: messageId, template_reused: true });
    const view = await contactView(contactId);
    expect(view.waiting).toMatchObject({
      state: 'resume_sent',
      resume_message_id: messageId,
      resume_due_at: null,
    });
    expect(view.window.open).toBe(false);
    expect(view.held.map((m: { id: string }) => m.id)).toEqual([answer.json.held_id]);

    await write(waId, 'Sí, sigo necesitando ayuda');
    const resumed = await h.waitFor(
      'conversation.resumed',
      () => delivered('conversation.resumed', contactId)[0],
    );
    expect(resumed.data).toMatchObject({
      waiting: {
        state: 'resumed',
        question: '¿Puedo cambiar mi turno del lunes?',
        metadata: { topic: 'tu turno', ticket: 'T-1' },
      },
      reply: { text: 'Sí, sigo necesitando ayuda' },
      resume_message_id: messageId,
      released_message_ids: [answer.json.held_id],
      window: { open: true },
    });
    const handoff = await h.waitFor('handoff.requested', () => delivered('handoff.requested', contactId)[0]);
    expect(handoff.data).toMatchObject({
      source: 'resume',
      reason: 'agent',
      question: '¿Puedo cambiar mi turno del lunes?',
      metadata: { topic: 'tu turno', ticket: 'T-1' },
      reply: { text: 'Sí, sigo necesitando ayuda' },
    });
    await race();
    expect(await written('conversation.resume_sent', contactId)).toHaveLength(1);
    expect(await written('conversation.resumed', contactId)).toHaveLength(1);
    const resumeMessages = await h.store.db
      .selectFrom('messages')
      .select('id')
      .where('contact_id', '=', contactId)
      .where('template_name', '=', 'resume_conversation')
      .execute();
    expect(resumeMessages).toEqual([{ id: messageId }]);
    expect(h.embedded.sandbox.countsByCallbackData().get(messageId)).toBe(1);
    const templates = h.embedded.sandbox.sent().filter((r) => r.to === waId && r.type === 'template');
    expect(templates.map((r) => r.bizOpaque)).toEqual([messageId]);

    const cleared = await h.api('DELETE', `/v1/contacts/${contactId}/waiting`);
    expect(cleared.json).toMatchObject({ cleared: true, waiting: { state: 'cleared' } });
    const clearedEvent = await h.waitFor(
      'conversation.cleared',
      () => delivered('conversation.cleared', contactId)[0],
    );
    expect(clearedEvent.data.by).toBe('api');
    expect((await h.api('DELETE', `/v1/contacts/${contactId}/waiting`)).json).toEqual({
      cleared: false,
      waiting: null,
    });
    expect((await contactView(contactId)).waiting).toBeNull();
  });

  it('an answer held first is the invitation: the resume rule sends no second template', async () => {
    const waId = user();
    const contactId = await write(waId, 'Busco a un asesor humano', 25 * HOUR);
    const answer = await h.api('POST', '/v1/messages', {
      to: contactId,
      text: { body: 'Te escribe un asesor.' },
      when_closed: { template: REMINDER.template },
    });
    expect(answer.json).toMatchObject({ path: 'template_then_held', template_reused: false });
    const res = await mark(contactId, { reason: 'agent', question: '¿Me llaman?' });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    await race();
    const sent = await written('conversation.resume_sent', contactId);
    expect(sent).toHaveLength(1);
    expect(sent[0].message.id).toBe(answer.json.template_message_id);
    expect((await contactView(contactId)).waiting).toMatchObject({
      state: 'resume_sent',
      resume_message_id: answer.json.template_message_id,
    });
    const resumeMessages = await h.store.db
      .selectFrom('messages')
      .select('id')
      .where('contact_id', '=', contactId)
      .where('kind', '=', 'template')
      .execute();
    expect(resumeMessages).toEqual([{ id: answer.json.template_message_id }]);
  });

  it("a mark's own rule replaces the account's; null resumes nothing; a closed window resumes at once", async () => {
    const own = {
      template: {
        name: 'resume_conversation',
        language: 'es_AR',
        body: { first_name: 'Hola', topic: { from: 'waiting.question' } },
      },
      before_close_minutes: 30,
      handoff: false,
    };
    // Closed already: due at once.
    const closed = user();
    const closedId = await write(closed, 'Consulta vieja', 25 * HOUR);
    const res = await mark(closedId, { reason: 'agent', question: 'los estudios', resume: own });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.resume).toMatchObject({ source: 'mark', before_close_minutes: 30, handoff: false });
    expect(Date.parse(res.json.resume_due_at)).toBeLessThanOrEqual(clock());
    await h.waitFor('conversation.resume_sent at once', async () => {
      await h.app.conversations.runOnce();
      return (await written('conversation.resume_sent', closedId)).length === 1;
    });
    await write(closed, 'Acá estoy');
    await h.waitFor('conversation.resumed', () => delivered('conversation.resumed', closedId).length === 1);
    expect(delivered('handoff.requested', closedId)).toHaveLength(0);

    // Open: N minutes before the close.
    const open = user();
    const openId = await write(open, 'Consulta nueva', HOUR);
    const early = await mark(openId, { reason: 'callback', resume: own });
    const closesAt = Date.parse((await contactView(openId)).window.expires_at);
    expect(Date.parse(early.json.resume_due_at)).toBe(closesAt - 30 * MIN);

    // None.
    const none = user();
    const noneId = await write(none, 'Sin recontacto', 23 * HOUR);
    const off = await mark(noneId, { reason: 'agent', resume: null });
    expect(off.json).toMatchObject({ resume: null, resume_due_at: null });
    offset += 2 * HOUR;
    await race();
    expect(await written('conversation.resume_sent', noneId)).toHaveLength(0);
  });

  it('a reply while still waiting resumes nothing and moves the resume to the new window', async () => {
    const waId = user();
    const contactId = await write(waId, 'Necesito un asesor', 2 * HOUR);
    const res = await mark(contactId, { reason: 'agent', question: 'factura' });
    await write(waId, '¿Hay alguien?');
    await race();
    expect(delivered('conversation.resumed', contactId)).toHaveLength(0);
    const view = await contactView(contactId);
    expect(view.waiting.state).toBe('waiting');
    expect(view.waiting.resume_due_at).toBe(view.window.expires_at);
    expect(Date.parse(view.waiting.resume_due_at)).toBeGreaterThan(Date.parse(res.json.resume_due_at));
  });

  it('never sends to an opted-out contact, nor a template that is no longer approved: the mark says why', async () => {
    const out = user();
    const outId = await write(out, 'Quiero un asesor', 24 * HOUR - MIN);
    expect((await mark(outId, { reason: 'agent', metadata: { topic: 'x' } })).status).toBe(201);
    const consent = await h.api('POST', `/v1/contacts/${outId}/consent`, {
      scope: 'all',
      state: 'opted_out',
    });
    expect(consent.status, JSON.stringify(consent.json)).toBeLessThan(300);

    offset += 2 * MIN;
    await race();
    const a = (await contactView(outId)).waiting;
    expect(a).toMatchObject({ state: 'waiting', resume_due_at: null, resume_message_id: null });
    expect(a.resume_failure).toMatch(/opted out/);

    const paused = user();
    const pausedId = await write(paused, 'Quiero otro asesor', 24 * HOUR - MIN);
    expect((await mark(pausedId, { reason: 'agent', metadata: { topic: 'y' } })).status).toBe(201);
    const status = await fetch(
      `${h.embedded.whatsapp.baseUrl}/_sandbox/templates/${SANDBOX_ACCOUNT.wabaId}/resume_conversation/es_AR/status`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'PAUSED' }),
      },
    );
    expect(status.status).toBe(200);
    await h.waitFor('the template paused in Recontact', async () => {
      const t = await h.store.db
        .selectFrom('templates')
        .select('status')
        .where('name', '=', 'resume_conversation')
        .executeTakeFirst();
      return t?.status === 'PAUSED';
    });
    offset += 2 * MIN;
    await race();
    const b = (await contactView(pausedId)).waiting;
    expect(b).toMatchObject({ state: 'waiting', resume_due_at: null });
    expect(b.resume_failure).toMatch(/PAUSED/);
    expect(await written('conversation.resume_sent', outId)).toHaveLength(0);
    expect(await written('conversation.resume_sent', pausedId)).toHaveLength(0);
    // And a rule cannot be saved with it.
    const put = await h.api('PUT', '/v1/accounts/acc_default/resume-rule', ACCOUNT_RULE);
    expect(put.status).toBe(422);
    expect(put.json.error.code).toBe('TEMPLATE_NOT_APPROVED');
  });

  it('names the field of every bad input', async () => {
    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [
        { ...ACCOUNT_RULE, template: { ...ACCOUNT_RULE.template, language: 'es' } },
        422,
        'TEMPLATE_NOT_FOUND',
        'body.template.language',
      ],
      [
        {
          ...ACCOUNT_RULE,
          template: { ...ACCOUNT_RULE.template, body: { first_name: 'x', topic: { from: 'waiting.nope' } } },
        },
        400,
        'INPUT_INVALID',
        'body.template.body.topic.from',
      ],
      [{ ...ACCOUNT_RULE, before_close_minutes: 1440 }, 400, 'INPUT_INVALID', 'body.before_close_minutes'],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await h.api('PUT', '/v1/accounts/acc_default/resume-rule', body);
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const waId = user();
    const contactId = await write(waId, 'Hola', HOUR);
    const empty = await mark(contactId, { reason: ' ' });
    expect(empty.status).toBe(400);
    expect(empty.json.error.details[0].path).toBe('reason');
    const badRef = await mark(contactId, {
      reason: 'agent',
      resume: {
        template: {
          name: 'resume_conversation',
          language: 'es_AR',
          body: { topic: { from: 'contact.age' } },
        },
      },
    });
    expect(badRef.status).toBe(400);
    expect(badRef.json.error.details[0].path).toBe('resume.template.body.topic.from');
    expect((await mark('5491100000999', { reason: 'agent' })).json.error.code).toBe('CONTACT_NOT_FOUND');

    expect((await h.api('DELETE', '/v1/accounts/acc_default/resume-rule')).status).toBe(204);
    const gone = await h.api('GET', '/v1/accounts/acc_default/resume-rule');
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('RESUME_RULE_NOT_FOUND');
  });
});
