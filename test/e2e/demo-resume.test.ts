/**
 * `recontact demo resume` run as a user would (its own process, the real CLI), on both databases:
 * it exits 0 after the bot got `conversation.resumed`, and prints each step of the seed's second
 * story in order — the back-dated question, window.expiring, the close, the held answer, the
 * resume template on Emilia's phone, her tap, conversation.resumed with her question, the
 * handoff, the answer on her phone.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { DIALECTS, PG_URL, TEST_SECRET_KEY } from '../support/stores';

const STEPS = [
  /emilia\s+wrote 23 h 59 min ago \(timestamp \d+\): "¿Puedo pasar mi turno/,
  /window\s+Emilia: open, closes at \S+ \((?:[1-5]?\d|60) s left\)/,
  /bot\s+POST \/v1\/contacts\/\{Emilia\}\/waiting reason=agent, resume_conversation once the window closes → 201/,
  /event\s+window\.expiring: \d+ s left/,
  /clock\s+\+61 s on the shared clock/,
  /event\s+window\.expired at /,
  /agent\s+answer with when_closed → 202, path template_then_held, held as msg_\w+/,
  /agent\s+GET \/v1\/messages\/msg_\w+ → held/,
  /event\s+conversation\.resume_sent: resume_conversation/,
  /emilia\s+receives: "Hola Emilia, una persona de nuestro equipo ya está disponible para ayudarte con tu consulta sobre tu cambio de turno\. ¿Querés que sigamos por acá\?" \[Sí, continuar \| Ya no lo necesito\]/,
  /emilia\s+taps "Sí, continuar"/,
  /event\s+conversation\.resumed: "¿Puedo pasar mi turno del lunes con la Dra\. Gómez a la tarde\? Quiero hablar con una persona\." \(ticket T-1042\), she answered "Sí, continuar", released msg_\w+/,
  /event\s+handoff\.requested \(resume\)/,
  /emilia\s+receives: "Hola Emilia, soy Laura de SaludCenter/,
  /agent\s+GET \/v1\/messages\/msg_\w+ → (?:sent|delivered|read|accepted)/,
];

/** A fresh PostgreSQL database for one run of the CLI (it takes a URL, not a schema). */
async function withDatabase<T>(use: (url: string) => Promise<T>): Promise<T> {
  const name = `demo_resume_${randomBytes(4).toString('hex')}`;
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

describe.each(DIALECTS)('recontact demo resume on %s', (dialect) => {
  it('plays the resume-contact story and exits 0 once the bot has the conversation back', async () => {
    const r =
      dialect === 'sqlite'
        ? await runCli(['demo', 'resume'], {}, 90_000)
        : await withDatabase((url) =>
            runCli(['demo', 'resume', '--database', url], { RECONTACT_SECRET_KEY: TEST_SECRET_KEY }, 90_000),
          );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('share one clock: real time plus an offset this demo advances');
    let at = 0;
    for (const step of STEPS) {
      const m = step.exec(out.slice(at));
      expect(m, `${step} after offset ${at} in:\n${out}`).not.toBeNull();
      at += (m?.index ?? 0) + (m?.[0].length ?? 0);
    }
    expect(out).toContain('Demo finished');
  }, 120_000);
});
