/**
 * `recontact demo`: the seed's appointment-confirmation story, played end to end against the
 * sandbox over real HTTP — Recontact's API, its dispatcher, Meta's stand-in, signed webhooks
 * both ways, and a small bot that reacts to the events the way a real one would.
 */
import { importContact } from '../engine/contacts/contact-import';
import { type BotEvent, type DemoOptions, type Json, startDemo, startDemoBot } from './demo-kit';

const EMILIA = { phone: '+54 9 11 5555-1234', waId: '5491155551234', name: 'Emilia' };
const DAY = 24 * 3600_000;

export async function demo(opts: DemoOptions, out = (s: string) => process.stdout.write(s)): Promise<number> {
  // The bot: receives Recontact's signed events and answers a confirmation with a free-form text.
  const bot = await startDemoBot();
  const run = await startDemo(opts, { name: 'demo', key: { name: 'demo bot', role: 'sender' }, bot }, out);
  const { app, embedded, url, say, check, api, waitFor } = run;
  const events = bot.events;
  const printStatus = async (e: BotEvent) => {
    if (e.type === 'message.status')
      say('event', `message.status ${e.data.previous_status} → ${e.data.status}`);
  };
  bot.onEvent = printStatus;

  try {
    out('Recontact demo — appointment confirmation (SaludCenter ↔ Emilia)\n');
    out(
      `Recontact ${url} · sandbox ${embedded.whatsapp.baseUrl} · bot ${bot.url.replace(/\/events$/, '')}\n\n`,
    );

    // History: Emilia booked weeks ago and last wrote three days ago, so her window is closed.
    await importContact(app.ctx, {
      accountId: app.accounts.all()[0]!.id,
      waId: EMILIA.waId,
      phoneE164: '+5491155551234',
      name: EMILIA.name,
      lastInboundAt: Date.now() - 3 * DAY,
    });

    const w1 = await api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/window`);
    say('window', `Emilia: open=${w1.json.open}, closed at ${w1.json.expires_at}`);
    check(w1.json.open === false, 'window should start closed');

    const refused = await api('POST', '/v1/messages', {
      to: EMILIA.phone,
      text: { body: 'Hola Emilia, ¿confirmás?' },
    });
    say(
      'bot',
      `free-form text → HTTP ${refused.status} ${refused.json.error?.code}: ${refused.json.error?.message}`,
    );
    check(
      refused.status === 409 && refused.json.error?.code === 'WINDOW_CLOSED',
      'free-form text must be refused with 409',
    );

    const sendBody = {
      to: EMILIA.phone,
      template: {
        name: 'appointment_reminder',
        language: 'es_AR',
        body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
        buttons: [{ payload: 'CONFIRM:appt-123' }, { payload: 'CANCEL:appt-123' }],
      },
      metadata: { appointment_id: 'appt-123' },
    };
    const idempotent = { headers: { 'idempotency-key': 'appt-123-reminder' } };
    const sent = await api('POST', '/v1/messages', sendBody, idempotent);
    say('bot', `template appointment_reminder → HTTP ${sent.status}, ${sent.json.id} (${sent.json.status})`);
    check(sent.status === 202, 'template send should be accepted with 202');
    const again = await api('POST', '/v1/messages', sendBody, idempotent);
    say(
      'bot',
      `same request again (retry) → HTTP ${again.status}, same id: ${again.json.id === sent.json.id}`,
    );
    check(again.json.id === sent.json.id, 'idempotent retry must return the same message');
    const messageId = String(sent.json.id);

    // Emilia's phone: when the reminder arrives she reads it and taps "Confirmar".
    const delivered = await waitFor("the template on Emilia's phone", () =>
      embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'template'),
    );
    if (delivered) {
      say('emilia', `receives: "${delivered.text}" [${delivered.buttons?.map((b) => b.text).join(' | ')}]`);
    }
    await waitFor('message.status read', () =>
      events.find((e) => e.type === 'message.status' && e.data.id === messageId && e.data.status === 'read'),
    );

    const answered = new Promise<void>((resolve) => {
      bot.onEvent = async (e) => {
        await printStatus(e);
        if (e.type === 'window.opened') say('event', `window.opened, until ${e.data.expires_at}`);
        if (e.type !== 'message.reply') return;
        const reply = e.data.reply as Record<string, unknown>;
        const msg = e.data.message as Json;
        say(
          'event',
          `message.reply payload=${reply.payload} to ${msg.id} (${msg.template?.name}, appointment ${msg.metadata?.appointment_id})`,
        );
        check(
          reply.payload === 'CONFIRM:appt-123' && msg.id === messageId,
          'reply must carry the payload and our message',
        );
        const thanks = await api('POST', '/v1/messages', {
          to: EMILIA.phone,
          text: { body: '¡Gracias, Emilia! Tu turno del lunes a las 10:00 quedó confirmado.' },
          metadata: { appointment_id: String(msg.metadata?.appointment_id) },
        });
        say('bot', `free-form thank-you → HTTP ${thanks.status}, ${thanks.json.id}`);
        check(thanks.status === 202, 'the thank-you must be accepted once the window is open');
        resolve();
      };
    });
    if (delivered) {
      embedded.sandbox.users.tapButton(
        embedded.whatsapp.phoneNumberId,
        EMILIA.waId,
        delivered.wamid,
        'Confirmar',
      );
      say('emilia', 'taps "Confirmar"');
    }
    await waitFor('the bot to answer', async () => {
      await Promise.race([answered, new Promise((r) => setTimeout(r, 50))]);
      return events.some((e) => e.type === 'message.reply') ? true : undefined;
    });
    const thanksOnPhone = await waitFor("the thank-you on Emilia's phone", () =>
      embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'text'),
    );
    if (thanksOnPhone) say('emilia', `receives: "${thanksOnPhone.text}"`);

    const w2 = await api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/window`);
    say('window', `Emilia: open=${w2.json.open}, until ${w2.json.expires_at}`);
    check(w2.json.open === true, 'window should be open after the tap');

    const m = await api('GET', `/v1/messages/${messageId}`);
    out('\nTimeline of the reminder (GET /v1/messages/:id):\n');
    // In lifecycle order; Meta's times have whole seconds, ours milliseconds: each says whose clock.
    for (const t of m.json.timeline as Array<{ status: string; at: string; source: string; clock: string }>) {
      out(
        `  ${t.at}  ${t.status.padEnd(16)} (${t.source}, ${t.clock === 'meta' ? "Meta's clock" : 'our clock'})\n`,
      );
    }
    check(m.json.replied_at !== null, 'the reminder should be marked replied');
  } finally {
    await run.close();
  }
  return run.finish(
    'Demo finished: the template reopened the conversation and the bot answered in the window.',
  );
}
