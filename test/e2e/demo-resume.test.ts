/**
 * `recontact demo resume` run as a user would (its own process, the real CLI): it exits 0 after
 * the bot got `conversation.resumed`, and prints each step of the seed's second story in order —
 * the back-dated question, window.expiring, the close, the held answer, the resume template on
 * Emilia's phone, her tap, conversation.resumed with her question, the answer on her phone.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

describe('recontact demo resume', () => {
  it('plays the resume-contact story and exits 0 once the bot has the conversation back', async () => {
    const r = await runCli(['demo', 'resume'], {}, 90_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('share one clock');
    const steps = [
      /emilia\s+wrote 23 h 59 min ago \(timestamp \d+\): "¿Puedo pasar mi turno/,
      /window\s+Emilia: open, closes at \S+ \(\d+ s left\)/,
      /bot\s+POST \/v1\/contacts\/\{Emilia\}\/waiting reason=agent/,
      /event\s+window\.expiring: \d+ s left, waiting for agent/,
      /clock\s+\+61 s on the shared clock/,
      /event\s+window\.expired at /,
      /agent\s+answer with when_closed → 202, path template_then_held, held as msg_/,
      /agent\s+GET \/v1\/messages\/msg_\w+ → held/,
      /event\s+conversation\.resume_sent: resume_conversation/,
      /emilia\s+receives: "Hola Emilia, una persona de nuestro equipo ya está disponible para ayudarte con tu consulta sobre tu cambio de turno\. ¿Querés que sigamos por acá\?" \[Sí, continuar \| Ya no lo necesito\]/,
      /emilia\s+taps "Sí, continuar"/,
      /event\s+conversation\.resumed: "¿Puedo pasar mi turno del lunes con la Dra\. Gómez a la tarde\? Quiero hablar con una persona\." \(ticket T-1042\), she answered "Sí, continuar", released msg_/,
      /emilia\s+receives: "Hola Emilia, soy Laura de SaludCenter/,
    ];
    let at = 0;
    for (const step of steps) {
      const m = step.exec(out.slice(at));
      expect(m, `${step} after offset ${at} in:\n${out}`).not.toBeNull();
      at += (m?.index ?? 0) + (m?.[0].length ?? 0);
    }
    expect(out).toContain('Demo finished');
  }, 120_000);
});
