/**
 * `recontact demo --channel messenger` run as a user would (its own process, the real CLI), on
 * both databases: it exits 0 and prints the appointment story on the sandbox's page in order —
 * Emilia's message three days ago, the closed window, the free-form text refused with its rule,
 * the utility template pushed and approved, sent as UTILITY and shown with its postback buttons,
 * her tap on "Confirmar", the reply event with the payload, and the bot's answer as RESPONSE.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { DIALECTS, PG_URL, TEST_SECRET_KEY } from '../support/stores';

const STEPS = [
  /emilia\s+wrote to the page 3 days ago: "Hola, quiero un turno con la Dra\. Gómez para la semana próxima\." \(PSID \d+\)/,
  /window\s+Emilia: open=false, closed at \S+/,
  /bot\s+free-form text → HTTP 409 WINDOW_CLOSED \(rule window_closed\): /,
  /bot\s+POST \/v1\/templates\/push turno_confirmacion \(UTILITY, buttons Confirmar \| Reprogramar\) → HTTP 200, created/,
  /meta\s+review of turno_confirmacion: APPROVED \(category UTILITY\)/,
  /bot\s+template turno_confirmacion → HTTP 202, msg_\w+ \(queued\)/,
  /meta\s+Send API: messaging_type UTILITY/,
  /emilia\s+receives: "Hola Emilia, tu turno en SaludCenter con la Dra\. Gómez es el lunes 3 de marzo a las 10:00\. ¿Lo confirmás\?" \[Confirmar \| Reprogramar\]/,
  /emilia\s+taps "Confirmar"/,
  /event\s+message\.reply payload=CONFIRM:appt-123 to msg_\w+ \(turno_confirmacion, appointment appt-123\)/,
  /bot\s+free-form thank-you → HTTP 202, msg_\w+/,
  /emilia\s+receives: "¡Gracias, Emilia! Tu turno del lunes a las 10:00 quedó confirmado\." \(messaging_type RESPONSE\)/,
  /window\s+Emilia: open=true, until \S+/,
  /replied\s+\(webhook, Meta's clock\)/,
  /Demo finished/,
];

/** A fresh PostgreSQL database for one run of the CLI (it takes a URL, not a schema). */
async function withDatabase<T>(use: (url: string) => Promise<T>): Promise<T> {
  const name = `demo_messenger_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

describe.each(DIALECTS)('recontact demo --channel messenger on %s', (dialect) => {
  it('plays the appointment story on the page and exits 0 after the tap and the answer', async () => {
    const args = ['demo', '--channel', 'messenger'];
    const r =
      dialect === 'sqlite'
        ? await runCli(args, {}, 90_000)
        : await withDatabase((url) =>
            runCli([...args, '--database', url], { RECONTACT_SECRET_KEY: TEST_SECRET_KEY }, 90_000),
          );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    let at = 0;
    for (const step of STEPS) {
      const m = step.exec(out.slice(at));
      expect(m, `${step} after offset ${at} in:\n${out}`).not.toBeNull();
      at += (m?.index ?? 0) + (m?.[0].length ?? 0);
    }
  }, 120_000);
});

describe('recontact demo --channel', () => {
  it('refuses a channel it does not know, and a story that runs on WhatsApp only, as usage errors', async () => {
    const unknown = await runCli(['demo', '--channel', 'telegram'], {}, 30_000);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/must be "whatsapp" \(the default\) or "messenger"/);
    const story = await runCli(['demo', 'campaign', '--channel', 'messenger'], {}, 30_000);
    expect(story.code).toBe(2);
    expect(story.stderr).toContain('the campaign story runs on WhatsApp only');
  }, 60_000);
});
