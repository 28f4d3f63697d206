/**
 * `recontact demo --channel messenger`: the appointment-confirmation story on Facebook Messenger,
 * against the sandbox's page over real HTTP. Emilia wrote to SaludCenter's page days ago, so the
 * 24-hour window is closed: the bot's free-form text is refused (Meta would reject it), and the
 * lawful way back is a utility template (messaging_type UTILITY), created and reviewed at the
 * page, with postback buttons. Her tap reopens the window, and the bot's answer goes out as a
 * plain RESPONSE. Same engine, same API as the WhatsApp story: only the recipient (psid:) and the
 * account differ.
 */
import { SANDBOX_PAGE } from '../embedded-sandbox';
import { type BotEvent, type DemoOptions, type Json, startDemo, startDemoBot } from './demo-kit';

const DAY = 24 * 3600_000;
const PAGE = SANDBOX_PAGE.accountName;
const EMILIA = {
  name: 'Emilia Rojas',
  wrote: 'Hola, quiero un turno con la Dra. Gómez para la semana próxima.',
};

/** SaludCenter's utility template for the page, kept as code like the WhatsApp ones. */
const TEMPLATE = {
  name: 'turno_confirmacion',
  language: 'es',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: [
    {
      type: 'BODY',
      text: 'Hola {{1}}, tu turno en SaludCenter con {{2}} es el {{3}}. ¿Lo confirmás?',
      example: { body_text: [['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00']] },
    },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirmar' },
        { type: 'QUICK_REPLY', text: 'Reprogramar' },
      ],
    },
  ],
};

export async function demoMessenger(
  opts: DemoOptions,
  out = (s: string) => process.stdout.write(s),
): Promise<number> {
  const bot = await startDemoBot();
  const run = await startDemo(
    opts,
    { name: 'demo-messenger', key: { name: 'demo bot', role: 'admin' }, bot, messenger: true },
    out,
  );
  const { embedded, url, say, check, api, waitFor } = run;
  const people = embedded.sandbox.messenger.users;
  const events = bot.events;
  const printStatus = (e: BotEvent) => {
    if (e.type === 'message.status')
      say('event', `message.status ${e.data.previous_status} → ${e.data.status}`);
  };
  bot.onEvent = printStatus;
  const onPage = `account_id=${encodeURIComponent(PAGE)}`;

  try {
    out("Recontact demo — appointment confirmation on Messenger (SaludCenter's page ↔ Emilia)\n");
    out(
      `Recontact ${url} · sandbox ${embedded.messenger.baseUrl} · bot ${bot.url.replace(/\/events$/, '')}\n`,
    );
    out(`Page ${SANDBOX_PAGE.pageId} ("${SANDBOX_PAGE.name}"), account ${PAGE}\n\n`);

    // History: Emilia wrote to the page three days ago (a dated message through the signed webhook).
    const { psid } = people.create(SANDBOX_PAGE.pageId, { name: EMILIA.name });
    people.sendText(psid, EMILIA.wrote, { at: Date.now() - 3 * DAY });
    say('emilia', `wrote to the page 3 days ago: "${EMILIA.wrote}" (PSID ${psid})`);
    const contact = await waitFor('Emilia as a contact of the page', async () => {
      const r = await api('GET', `/v1/contacts?${onPage}&limit=100`);
      return (r.json.data as Json[] | undefined)?.find((c) => c.wa_id === psid);
    });
    if (!contact) return run.finish('');
    const w1 = await api('GET', `/v1/contacts/${contact.id}/window?${onPage}`);
    say('window', `Emilia: open=${w1.json.open}, closed at ${w1.json.expires_at}`);
    check(w1.json.open === false, 'the window should start closed');

    const to = `psid:${psid}`;
    const refused = await api('POST', '/v1/messages', {
      to,
      text: { body: 'Hola Emilia, ¿confirmás tu turno?' },
    });
    const error = refused.json.error ?? {};
    say(
      'bot',
      `free-form text → HTTP ${refused.status} ${error.code} (rule ${error.data?.rule}): ${error.message}`,
    );
    check(
      refused.status === 409 && error.code === 'WINDOW_CLOSED',
      'free-form text must be refused with 409',
    );

    // The lawful path after 24 h: a utility template, created at the page and reviewed by Meta.
    const pushed = await api('POST', `/v1/templates/push?${onPage}`, { templates: [TEMPLATE] });
    const result = (pushed.json.results as Json[] | undefined)?.[0];
    say(
      'bot',
      `POST /v1/templates/push ${TEMPLATE.name} (UTILITY, buttons Confirmar | Reprogramar) → HTTP ${pushed.status}, ${result?.outcome ?? pushed.json.error?.code}`,
    );
    check(pushed.status === 200 && pushed.json.ok === true, 'the page should take the template');
    const approved = await waitFor("Meta's review of the template", async () => {
      const t = await api('GET', `/v1/templates/${TEMPLATE.name}/${TEMPLATE.language}?${onPage}`);
      return t.json.status === 'APPROVED' ? t.json : undefined;
    });
    if (approved)
      say('meta', `review of ${TEMPLATE.name}: ${approved.status} (category ${approved.category})`);

    const sent = await api('POST', '/v1/messages', {
      to,
      template: {
        name: TEMPLATE.name,
        language: TEMPLATE.language,
        body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
        buttons: [{ payload: 'CONFIRM:appt-123' }, { payload: 'RESCHEDULE:appt-123' }],
      },
      metadata: { appointment_id: 'appt-123' },
    });
    say('bot', `template ${TEMPLATE.name} → HTTP ${sent.status}, ${sent.json.id} (${sent.json.status})`);
    check(sent.status === 202, 'the utility template should be accepted with 202');
    const messageId = String(sent.json.id);

    // Emilia's Messenger: the utility message arrives with its two postback buttons.
    const delivered = await waitFor("the template on Emilia's Messenger", () =>
      people.inbox(psid).find((m) => m.type === 'utility'),
    );
    const posted = embedded.sandbox.messenger.sent().find((s) => s.recipientId === psid);
    if (posted) say('meta', `Send API: messaging_type ${posted.messagingType}`);
    check(posted?.messagingType === 'UTILITY', 'the template must go as messaging_type UTILITY');
    if (delivered) {
      say(
        'emilia',
        `receives: "${delivered.text}" [${(delivered.buttons ?? []).map((b) => b.title).join(' | ')}]`,
      );
    }
    await waitFor('message.status read', () =>
      events.find((e) => e.type === 'message.status' && e.data.id === messageId && e.data.status === 'read'),
    );

    const answered = new Promise<void>((resolve) => {
      bot.onEvent = async (e) => {
        printStatus(e);
        if (e.type === 'window.opened') say('event', `window.opened, until ${e.data.expires_at}`);
        if (e.type !== 'message.reply') return;
        const reply = e.data.reply as Json;
        const msg = e.data.message as Json;
        say(
          'event',
          `message.reply payload=${reply.payload} to ${msg.id} (${msg.template?.name}, appointment ${msg.metadata?.appointment_id})`,
        );
        check(
          reply.payload === 'CONFIRM:appt-123' && msg.id === messageId,
          'the reply must carry the payload and our message',
        );
        const thanks = await api('POST', '/v1/messages', {
          to,
          text: { body: '¡Gracias, Emilia! Tu turno del lunes a las 10:00 quedó confirmado.' },
          metadata: { appointment_id: String(msg.metadata?.appointment_id) },
        });
        say('bot', `free-form thank-you → HTTP ${thanks.status}, ${thanks.json.id}`);
        check(thanks.status === 202, 'the thank-you must be accepted once the window is open');
        resolve();
      };
    });
    if (delivered) {
      people.postback(psid, 'Confirmar');
      say('emilia', 'taps "Confirmar" (a postback: it reopens the window)');
    }
    await waitFor('the bot to answer', async () => {
      await Promise.race([answered, new Promise((r) => setTimeout(r, 50))]);
      return events.some((e) => e.type === 'message.reply') ? true : undefined;
    });
    const thanksOnPhone = await waitFor("the thank-you on Emilia's Messenger", () =>
      people.inbox(psid).find((m) => m.type === 'text'),
    );
    if (thanksOnPhone) {
      const answer = embedded.sandbox.messenger
        .sent()
        .filter((s) => s.recipientId === psid)
        .at(-1);
      say('emilia', `receives: "${thanksOnPhone.text}" (messaging_type ${answer?.messagingType})`);
      check(answer?.messagingType === 'RESPONSE', 'the answer inside the window must go as RESPONSE');
    }

    const w2 = await api('GET', `/v1/contacts/${contact.id}/window?${onPage}`);
    say('window', `Emilia: open=${w2.json.open}, until ${w2.json.expires_at}`);
    check(w2.json.open === true, 'the window should be open after the tap');

    const m = await api('GET', `/v1/messages/${messageId}`);
    out('\nTimeline of the template (GET /v1/messages/:id):\n');
    for (const t of (m.json.timeline ?? []) as Array<{
      status: string;
      at: string;
      source: string;
      clock: string;
    }>) {
      out(
        `  ${t.at}  ${t.status.padEnd(16)} (${t.source}, ${t.clock === 'meta' ? "Meta's clock" : 'our clock'})\n`,
      );
    }
    check(m.json.replied_at != null, 'the template should be marked replied');
  } finally {
    await run.close();
  }
  return run.finish(
    'Demo finished: the utility template reopened the Messenger conversation and the bot answered in the window.',
  );
}
