/**
 * `recontact demo`: the seed's appointment-confirmation story, played end to end against the
 * sandbox over real HTTP — Recontact's API, its dispatcher, Meta's stand-in, signed webhooks
 * both ways, and a small bot that reacts to the events the way a real one would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { request } from 'undici';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { startEmbeddedSandbox } from '../embedded-sandbox';
import { importContact } from '../engine/contacts/contact-import';
import { newEndpointSecret, verifyEvent } from '../engine/events/signing';
import { pullTemplates } from '../engine/templates/sync';

// The demo reads our own API's JSON field by field, only to print it.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = Record<string, any>;

const EMILIA = { phone: '+54 9 11 5555-1234', waId: '5491155551234', name: 'Emilia' };
const DAY = 24 * 3600_000;

interface BotEvent {
  type: string;
  data: Record<string, unknown>;
}

export async function demo(
  opts: { database?: string; port?: number; sandboxPort?: number },
  out = (s: string) => process.stdout.write(s),
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-demo-'));
  const t0 = Date.now();
  const say = (who: string, text: string) =>
    out(`${`+${((Date.now() - t0) / 1000).toFixed(2)}s`.padStart(8)}  ${who.padEnd(10)} ${text}\n`);
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };

  // The bot: receives Recontact's signed events and answers a confirmation with a free-form text.
  const secret = newEndpointSecret();
  const events: BotEvent[] = [];
  const bot = Fastify();
  const printStatus = async (e: BotEvent) => {
    if (e.type === 'message.status')
      say('event', `message.status ${e.data.previous_status} → ${e.data.status}`);
  };
  let onEvent: (e: BotEvent) => Promise<void> = printStatus;
  // Signatures are checked over the raw bytes, as any Standard Webhooks receiver does.
  bot.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  bot.post('/events', async (req, reply) => {
    const raw = req.body as string;
    if (!verifyEvent(secret, req.headers, raw)) return reply.status(401).send();
    const e = JSON.parse(raw) as BotEvent;
    events.push(e);
    void onEvent(e);
    return reply.status(204).send();
  });
  const botUrl = await bot.listen({ port: 0, host: '127.0.0.1' });

  const base = loadConfig({
    // 0 (the default) lets the system pick free ports, so the demo runs beside `npm start`.
    PORT: String(opts.port ?? 0),
    SANDBOX_PORT: String(opts.sandboxPort ?? 0),
    LOG_LEVEL: 'silent',
    DATABASE_URL: opts.database ?? join(dir, 'demo.db'),
    RECONTACT_EVENTS_URL: `${botUrl}/events`,
    RECONTACT_EVENTS_SECRET: secret,
  });
  const embedded = await startEmbeddedSandbox(base, {
    delays: { sentMs: 150, deliveredMs: 400, readMs: 900, templateReviewMs: 500 },
    webhookBatchMs: 5,
  });
  const config = Object.freeze({ ...base, whatsapp: embedded.whatsapp });
  const app = await createApp({ config, deliverer: { pollMs: 50 } });
  const url = await app.listen(opts.port ?? 0, '127.0.0.1');
  embedded.connect(url);
  await pullTemplates(app.ctx, app.channel, app.accounts.all()[0]!);
  app.startWorkers();
  const key = (await app.apiKeys.create('demo bot', 'sender')).key;
  const api = async (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await request(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.statusCode, json: (await res.body.json()) as Json };
  };
  const waitFor = async <T>(
    what: string,
    probe: () => T | undefined | Promise<T | undefined>,
    ms = 10_000,
  ) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
    failures.push(`timed out waiting for ${what}`);
    return undefined;
  };

  try {
    out('Recontact demo — appointment confirmation (SaludCenter ↔ Emilia)\n');
    out(`Recontact ${url} · sandbox ${embedded.whatsapp.baseUrl} · bot ${botUrl}\n\n`);

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
    const sent = await api('POST', '/v1/messages', sendBody, { 'idempotency-key': 'appt-123-reminder' });
    say('bot', `template appointment_reminder → HTTP ${sent.status}, ${sent.json.id} (${sent.json.status})`);
    check(sent.status === 202, 'template send should be accepted with 202');
    const again = await api('POST', '/v1/messages', sendBody, { 'idempotency-key': 'appt-123-reminder' });
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
      onEvent = async (e) => {
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
    await embedded.sandbox.close();
    await app.stop();
    await bot.close();
    if (!opts.database) rmSync(dir, { recursive: true, force: true });
  }
  if (failures.length) {
    out(`\nDemo FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  out('\nDemo finished: the template reopened the conversation and the bot answered in the window.\n');
  return 0;
}
