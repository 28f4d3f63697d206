/**
 * The send policy through the HTTP API, on both databases, against the sandbox's Messenger page
 * (which enforces the 24 h window, HUMAN_AGENT's 7 days and the retired tags as Meta does, and
 * shares no code with the policy): what each kind of send becomes at each moment of a person's
 * conversation — RESPONSE inside the window, HUMAN_AGENT for a person's answer within 7 days of
 * their last message, UTILITY templates at any time — and every refusal with its rule, before
 * anything reaches the page. The people write through the sandbox, dated in the past where a
 * case needs an old conversation, so the webhook path sets their windows as Meta's would.
 * Recipients (psid:, bare PSIDs, contact ids; phones, BSUIDs and unknown PSIDs refused), the held
 * path, the resume rule and campaigns ask the same policy.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PAGE } from '../../src/embedded-sandbox';
import { pullTemplates } from '../../src/engine/templates/sync';
import type { MessengerSentRecord } from '../../src/sandbox/sandbox';
import { type AccountWithLimits, upsertAccount } from '../../src/store/accounts-repo';
import { ensureContact } from '../../src/store/contacts-repo';
import { openSecretBox } from '../../src/store/secret-key-file';
import { upsertTemplate } from '../../src/store/templates-repo';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PAGE_NAME = 'saludcenter-page';

/** A utility template the page has at Meta (seeded in the sandbox, pulled into Recontact). */
const REMINDER_FB = {
  name: 'turno_recordatorio',
  language: 'es',
  category: 'UTILITY' as const,
  parameter_format: 'POSITIONAL' as const,
  components: [
    {
      type: 'BODY',
      text: 'Hola {{1}}, tu turno es el {{2}}. Respondé a este mensaje para confirmarlo.',
      example: { body_text: [['Emilia', 'lunes 10:00']] },
    },
  ],
};
const reminder = { name: REMINDER_FB.name, language: 'es', body: ['Emilia', 'lunes 3 de marzo a las 10:00'] };

describe.each(DIALECTS)('Messenger send policy through the API on %s', (dialect) => {
  let h: Harness;
  let page: AccountWithLimits;

  beforeAll(async () => {
    h = await startHarness(dialect, {
      sandbox: { messenger: { seedTemplates: [REMINDER_FB] } },
      app: { heldMessages: { pollMs: 20 } },
    });
    const box = openSecretBox(h.app.config.secrets, h.store, pino({ level: 'silent' }));
    // The sandbox's page, as an operator would add it: its webhooks already reach /webhooks/messenger.
    page = await upsertAccount(
      h.store.db,
      box,
      {
        id: 'acc_page_policy',
        channel: 'messenger',
        name: PAGE_NAME,
        externalId: SANDBOX_PAGE.pageId,
        wabaId: null,
        accessToken: SANDBOX_PAGE.pageToken,
        appSecret: SANDBOX_PAGE.appSecret,
        verifyToken: SANDBOX_PAGE.verifyToken,
        baseUrl: h.app.accounts.all()[0]!.baseUrl,
        graphVersion: 'v25.0',
        throughputMps: 40,
        source: 'api',
      },
      Date.now(),
    );
    await h.app.accounts.reload();
    await pullTemplates(h.app.ctx, h.app.channel, page);
    // Recontact's store may hold what Meta would never approve for a page (a template pulled
    // before it was recategorised, a row written by hand): the policy refuses it all the same.
    await upsertTemplate(
      h.store.db,
      {
        id: 'tpl_page_promo',
        accountId: page.id,
        name: 'promo_taxi',
        language: 'es',
        category: 'MARKETING',
        parameter_format: 'POSITIONAL',
        components: [{ type: 'BODY', text: 'Hola {{1}}, 10% en tu próximo viaje.' }],
        status: 'APPROVED',
        providerTemplateId: '990000000000001',
        rejectedReason: null,
        qualityScore: null,
      },
      Date.now(),
    );
  });
  afterAll(() => h?.close());

  const messenger = () => h.embedded.sandbox.messenger;
  /** Someone who writes to the page `ago` ms ago (dated, as if the message had just arrived). */
  async function person(ago: number, text = 'Hola, ¿mi turno sigue en pie?') {
    const { psid } = messenger().users.create(SANDBOX_PAGE.pageId);
    messenger().users.sendText(psid, text, { at: Date.now() - ago });
    const contact = await contactOf(psid);
    return { psid, contact };
  }
  async function contactOf(psid: string) {
    return h.waitFor(`the contact of PSID ${psid}`, () =>
      h.store.db
        .selectFrom('contacts')
        .selectAll()
        .where('account_id', '=', page.id)
        .where('wa_id', '=', psid)
        .executeTakeFirst(),
    );
  }
  const stored = async (id: string) => {
    const row = await h.store.db
      .selectFrom('messages')
      .select(['content', 'status', 'account_id', 'to_wa', 'error_code'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return { ...row, content: JSON.parse(row.content) as Record<string, unknown> };
  };
  /** What the page's Send API accepted for this person. */
  const sentTo = (psid: string): MessengerSentRecord[] =>
    messenger()
      .sent()
      .filter((r) => r.recipientId === psid);
  const reached = (psid: string, n: number) =>
    h.waitFor(`${n} message(s) accepted for ${psid}`, () => sentTo(psid).length >= n && sentTo(psid));
  const send = (body: Record<string, unknown>) => h.api('POST', '/v1/messages', body);

  it('inside the window the bot answers as RESPONSE, to psid:, to the bare PSID or to the contact id', async () => {
    const { psid, contact } = await person(HOUR);
    const prefixed = await send({ to: `psid:${psid}`, text: { body: 'Sí, te esperamos el lunes.' } });
    expect(prefixed.status, JSON.stringify(prefixed.json)).toBe(202);
    expect(prefixed.json).toMatchObject({ account_id: page.id, contact_id: contact.id, kind: 'text' });
    expect((await stored(prefixed.json.id)).content).toMatchObject({ messaging: { type: 'RESPONSE' } });

    const bare = await send({ to: psid, account_id: PAGE_NAME, text: { body: '¿Algo más?' } });
    expect(bare.status, JSON.stringify(bare.json)).toBe(202);
    // A contact id names its account: no account_id needed beside the WhatsApp number.
    const byId = await send({ to: contact.id, text: { body: 'Gracias por escribir.' } });
    expect(byId.status, JSON.stringify(byId.json)).toBe(202);
    expect(byId.json.account_id).toBe(page.id);

    const sent = await reached(psid, 3);
    expect(sent.map((r) => [r.messagingType, r.tag])).toEqual([
      ['RESPONSE', undefined],
      ['RESPONSE', undefined],
      ['RESPONSE', undefined],
    ]);
  });

  it('after 24 h the bot is refused (WINDOW_CLOSED, rule window_closed); a person answers with HUMAN_AGENT', async () => {
    const { psid } = await person(3 * DAY);
    const bot = await send({ to: `psid:${psid}`, text: { body: 'Recordatorio automático' } });
    expect(bot.status).toBe(409);
    expect(bot.json.error).toMatchObject({
      code: 'WINDOW_CLOSED',
      hint: expect.stringContaining('utility template'),
      data: { window_open: false, rule: 'window_closed', channel: 'messenger', intent: 'bot_reply' },
    });
    expect(Date.parse(bot.json.error.data.human_agent_until)).toBeGreaterThan(Date.now());

    const agent = await send({
      to: `psid:${psid}`,
      sent_by: 'human',
      text: { body: 'Hola, soy Ana de SaludCenter: tu turno quedó confirmado.' },
    });
    expect(agent.status, JSON.stringify(agent.json)).toBe(202);
    expect((await stored(agent.json.id)).content).toMatchObject({
      messaging: { type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' },
    });
    // Asking for the tag by name is the same answer.
    const named = await send({
      to: `psid:${psid}`,
      sent_by: 'human',
      tag: 'HUMAN_AGENT',
      text: { body: 'Cualquier duda, escribime.' },
    });
    expect(named.status, JSON.stringify(named.json)).toBe(202);
    const sent = await reached(psid, 2);
    expect(sent.map((r) => [r.messagingType, r.tag])).toEqual([
      ['MESSAGE_TAG', 'HUMAN_AGENT'],
      ['MESSAGE_TAG', 'HUMAN_AGENT'],
    ]);
  });

  it('7 days after the last message not even a person may write; a utility template still goes, as UTILITY', async () => {
    const { psid } = await person(8 * DAY);
    const agent = await send({ to: `psid:${psid}`, sent_by: 'human', text: { body: '¿Seguís ahí?' } });
    expect(agent.status).toBe(409);
    expect(agent.json.error).toMatchObject({
      code: 'WINDOW_CLOSED',
      message: expect.stringContaining('More than 7 days passed'),
      data: { rule: 'human_agent_expired', intent: 'human_reply' },
    });

    const utility = await send({ to: `psid:${psid}`, template: reminder });
    expect(utility.status, JSON.stringify(utility.json)).toBe(202);
    expect((await stored(utility.json.id)).content).toMatchObject({
      kind: 'template',
      messaging: { type: 'UTILITY' },
    });
    const [sent] = await reached(psid, 1);
    expect(sent).toMatchObject({ messagingType: 'UTILITY' });
    await h.waitFor('the message accepted', async () => (await stored(utility.json.id)).status !== 'queued');
    expect((await stored(utility.json.id)).error_code).toBeNull();
  });

  it('HUMAN_AGENT counts from the last message: a tap reopens the window, not the 7 days', async () => {
    const { psid, contact } = await person(8 * DAY);
    // A Get Started tap 25 h ago: the window it opened has closed too.
    messenger().users.postback(
      psid,
      { payload: 'GET_STARTED', title: 'Empezar' },
      { at: Date.now() - 25 * HOUR },
    );
    await h.waitFor('the tap applied', async () => {
      const c = await contactOf(psid);
      return Number(c.last_inbound_at) > Number(contact.last_inbound_at) && c;
    });
    const agent = await send({ to: `psid:${psid}`, sent_by: 'human', text: { body: 'Hola' } });
    expect(agent.status).toBe(409);
    expect(agent.json.error.data).toMatchObject({ rule: 'human_agent_expired' });
    expect(Date.parse(agent.json.error.data.last_user_message_at)).toBe(Number(contact.last_user_message_at));
  });

  it("a page's templates meet Messenger's own lint rules before anything reaches Meta", async () => {
    const templates = [
      {
        name: 'promo_page',
        language: 'es',
        category: 'MARKETING',
        components: [
          {
            type: 'BODY',
            text: 'Hola {{1}}, 20% en tu próximo turno.',
            example: { body_text: [['Emilia']] },
          },
          { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'SAVE20' }] },
        ],
      },
    ];
    const r = await h.api('POST', `/v1/templates/push?account_id=${PAGE_NAME}`, { templates });
    expect(r.status, JSON.stringify(r.json)).toBe(422);
    expect(r.json.error.code).toBe('TEMPLATE_INVALID');
    const said = JSON.stringify(r.json.error.details);
    expect(said).toContain('messenger-category-utility');
    expect(said).toContain('messenger-button-type');
    // The same file is fine for the WhatsApp number as far as these rules go.
    const d = await h.api('POST', '/v1/templates/diff', { templates });
    expect(JSON.stringify(d.json)).not.toContain('messenger-');
  });

  it('refuses the tags Meta retired, HUMAN_AGENT from automation and any tag on WhatsApp, naming the rule', async () => {
    const { psid } = await person(2 * DAY);
    const retired = await send({
      to: `psid:${psid}`,
      tag: 'ACCOUNT_UPDATE',
      text: { body: 'Tu cuenta fue actualizada' },
    });
    expect(retired.status).toBe(409);
    expect(retired.json.error).toMatchObject({
      code: 'SEND_POLICY_REFUSED',
      message: 'The Messenger tag ACCOUNT_UPDATE was retired: Meta rejects it since 2026-04-27 (error 100)',
      details: [{ path: 'tag' }],
      data: { rule: 'tag_retired', retired_on: '2026-04-27' },
    });
    for (const tag of ['CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE']) {
      const r = await send({ to: `psid:${psid}`, sent_by: 'human', tag, text: { body: 'x' } });
      expect(r.json.error).toMatchObject({ code: 'SEND_POLICY_REFUSED', data: { rule: 'tag_retired' } });
    }
    const automated = await send({ to: `psid:${psid}`, tag: 'HUMAN_AGENT', text: { body: 'Soy un bot' } });
    expect(automated.status).toBe(409);
    expect(automated.json.error).toMatchObject({
      code: 'SEND_POLICY_REFUSED',
      data: { rule: 'human_agent_requires_person' },
    });
    const whatsapp = await send({ ...REMINDER, tag: 'HUMAN_AGENT' });
    expect(whatsapp.status).toBe(409);
    expect(whatsapp.json.error).toMatchObject({
      code: 'SEND_POLICY_REFUSED',
      data: { rule: 'tags_not_on_whatsapp' },
    });
    // Nothing reached the page.
    expect(sentTo(psid)).toEqual([]);
  });

  it('refuses a MARKETING template on a page at any time', async () => {
    const { psid } = await person(HOUR);
    const promo = await send({
      to: `psid:${psid}`,
      template: { name: 'promo_taxi', language: 'es', body: ['Emilia'] },
    });
    expect(promo.status).toBe(409);
    expect(promo.json.error).toMatchObject({
      code: 'SEND_POLICY_REFUSED',
      details: [{ path: 'template.name' }],
      data: { rule: 'marketing_template_on_messenger', intent: 'marketing' },
    });
    expect(sentTo(psid)).toEqual([]);
  });

  it('names a wrong recipient: a phone or BSUID on a page, a psid: on a number, a PSID that never wrote', async () => {
    const phone = await send({ to: EMILIA.phone, account_id: PAGE_NAME, text: { body: 'hola' } });
    expect(phone.status).toBe(400);
    expect(phone.json.error).toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('a phone number cannot be messaged from a Messenger page'),
      details: [{ path: 'to' }],
    });
    const bsuid = await send({
      to: 'US.13491208655302741918',
      account_id: PAGE_NAME,
      text: { body: 'hola' },
    });
    expect(bsuid.status).toBe(400);
    expect(bsuid.json.error.message).toContain('a BSUID is a WhatsApp address');
    const badPsid = await send({ to: 'psid:12ab', text: { body: 'hola' } });
    expect(badPsid.status).toBe(400);
    expect(badPsid.json.error.details).toEqual([
      { path: 'to', message: 'a PSID is the digits Meta sends as sender.id' },
    ]);

    const numberId = h.app.accounts.all().find((a) => a.channel === 'whatsapp')!.id;
    const onNumber = await send({
      to: 'psid:6845719238451234',
      account_id: numberId,
      text: { body: 'hola' },
    });
    expect(onNumber.status).toBe(400);
    expect(onNumber.json.error.code).toBe('INPUT_INVALID');
    expect(onNumber.json.error.message).toContain('is a WhatsApp number');

    const unknown = await send({ to: 'psid:6845719238451234', template: reminder });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({
      code: 'CONTACT_NOT_FOUND',
      hint: expect.stringContaining('only people who wrote to it first'),
      data: { psid: '6845719238451234' },
    });
    // The listing reads psid: too.
    const listed = await h.api('GET', '/v1/messages?to=psid:6845719238451234');
    expect(listed.status).toBe(200);
    expect(listed.json.data).toEqual([]);
  });

  it('when_closed on a page: the utility template goes now, the bot text is held and released as RESPONSE', async () => {
    const { psid } = await person(2 * DAY);
    const res = await send({
      to: `psid:${psid}`,
      text: { body: 'Tu médica respondió: traé los estudios.' },
      when_closed: { template: reminder },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    expect(res.json).toMatchObject({ path: 'template_then_held', status: 'held' });
    expect((await stored(res.json.template_message_id)).content).toMatchObject({
      messaging: { type: 'UTILITY' },
    });
    expect((await stored(res.json.held_id)).content).toMatchObject({ messaging: { type: 'RESPONSE' } });
    await reached(psid, 1);
    messenger().users.sendText(psid, 'Dale, ¿qué pasó?');
    const sent = await reached(psid, 2);
    expect(sent.map((r) => r.messagingType)).toEqual(['UTILITY', 'RESPONSE']);

    // A person's answer within 7 days needs no template: it goes now, tagged.
    const other = await person(3 * DAY);
    const human = await send({
      to: `psid:${other.psid}`,
      sent_by: 'human',
      text: { body: 'Soy Ana: ya tengo tu respuesta.' },
      when_closed: { template: reminder },
    });
    expect(human.status, JSON.stringify(human.json)).toBe(202);
    expect(human.json.path).toBe('now');
    const [tagged] = await reached(other.psid, 1);
    expect(tagged).toMatchObject({ messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });

    // After the 7 days even a person's answer waits behind the template; the tag asked for is
    // the answer's, not the template's.
    const late = await person(8 * DAY);
    const heldHuman = await send({
      to: `psid:${late.psid}`,
      sent_by: 'human',
      tag: 'HUMAN_AGENT',
      text: { body: 'Soy Ana: perdón la demora.' },
      when_closed: { template: reminder },
    });
    expect(heldHuman.status, JSON.stringify(heldHuman.json)).toBe(202);
    expect(heldHuman.json.path).toBe('template_then_held');
    const [invitation] = await reached(late.psid, 1);
    expect(invitation).toMatchObject({ messagingType: 'UTILITY' });
  });

  it('the resume rule refuses a MARKETING template on a page and sends a utility one as UTILITY', async () => {
    const refused = await h.api('PUT', `/v1/accounts/${PAGE_NAME}/resume-rule`, {
      template: { name: 'promo_taxi', language: 'es', body: ['Emilia'] },
    });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({
      code: 'SEND_POLICY_REFUSED',
      details: [{ path: 'body.template.name' }],
      data: { rule: 'marketing_template_on_messenger' },
    });
    const saved = await h.api('PUT', `/v1/accounts/${PAGE_NAME}/resume-rule`, { template: reminder });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);

    const { psid, contact } = await person(2 * DAY, 'Quiero hablar con una persona');
    const mark = await h.api('POST', `/v1/contacts/${contact.id}/waiting?account_id=${PAGE_NAME}`, {
      reason: 'agent',
      question: 'Quiero hablar con una persona',
    });
    expect(mark.status, JSON.stringify(mark.json)).toBe(201);
    const [resume] = await reached(psid, 1);
    expect(resume).toMatchObject({ messagingType: 'UTILITY' });
  });

  it('campaigns: MARKETING is refused from a page; a utility campaign leaves out who never wrote', async () => {
    const marketing = await h.api('POST', `/v1/campaigns?account_id=${PAGE_NAME}`, {
      name: 'Promo taxi',
      template: { name: REMINDER_FB.name, language: 'es', body: ['Emilia', 'lunes'] },
      audience: { all: true },
      category: 'MARKETING',
    });
    expect(marketing.status).toBe(409);
    expect(marketing.json.error).toMatchObject({
      code: 'SEND_POLICY_REFUSED',
      data: { rule: expect.any(String) },
    });
    const promo = await h.api('POST', `/v1/campaigns?account_id=${PAGE_NAME}`, {
      name: 'Promo taxi',
      template: { name: 'promo_taxi', language: 'es', body: ['Emilia'] },
      audience: { all: true },
    });
    expect(promo.status).toBe(409);
    expect(promo.json.error).toMatchObject({
      code: 'SEND_POLICY_REFUSED',
      details: [{ path: 'body.template' }],
      data: { rule: 'marketing_template_on_messenger', channel: 'messenger' },
    });

    // Someone imported onto the page by hand: no conversation, so no PSID the page may write to.
    await ensureContact(
      h.store.db,
      { id: 'ctc_page_imported', accountId: page.id, waId: '5491155559999', phoneE164: '+5491155559999' },
      Date.now(),
    );
    const created = await h.api('POST', `/v1/campaigns?account_id=${PAGE_NAME}`, {
      name: 'Recordatorio de turnos',
      template: { name: REMINDER_FB.name, language: 'es', body: ['Emilia', 'lunes'] },
      audience: { all: true },
      category: 'UTILITY',
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const launched = await h.api('POST', `/v1/campaigns/${created.json.id}/launch?account_id=${PAGE_NAME}`);
    expect(launched.status, JSON.stringify(launched.json)).toBe(200);
    const view = await h.api('GET', `/v1/campaigns/${created.json.id}?account_id=${PAGE_NAME}`);
    expect(view.json.excluded_by_reason).toEqual({ never_wrote: 1 });
    const recipients = await h.api(
      'GET',
      `/v1/campaigns/${created.json.id}/recipients?account_id=${PAGE_NAME}&state=excluded`,
    );
    expect(recipients.json.data).toEqual([
      expect.objectContaining({ contact_id: 'ctc_page_imported', reason: 'never_wrote' }),
    ]);
  });

  it('WhatsApp answers as before, with the rule named', async () => {
    const res = await send({ to: '+54 9 11 5555-0101', text: { body: 'hola' } });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({
      code: 'WINDOW_CLOSED',
      message: '+54 9 11 5555-0101 has never written to this number, so only a template may be sent',
      data: { window_open: false, last_inbound_at: null, expired_at: null, rule: 'window_closed' },
    });
  });
});
