/**
 * `recontact demo campaign` run as a user would (its own process, the real CLI): it exits 0 and
 * prints the funnel moving to completed, the five taps on the offer and the one "no", the STOP
 * written before that contact's turn counted as an opt-out, and the reply rate.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

describe('recontact demo campaign', () => {
  it('plays the discount campaign to completed and prints its funnel and replies', async () => {
    const r = await runCli(['demo', 'campaign'], {}, 90_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('examples/campaign-contacts.csv → 18 contacts created, 0 rejected');
    expect(out).toMatch(/plan\s+audience tag "taxi": 15 to send, excluded: opted_out 1/);
    // Personalised: the first name and the contact's own discount.
    expect(out).toContain('"Hola Valentina, este mes tenés un 15% de descuento');
    expect(out).toMatch(/funnel\s+running\s+pending/);
    expect(out).toMatch(/funnel\s+completed\s+pending\s+0 · queued\s+0/);
    expect(out.match(/taps "Quiero el código"/g)).toHaveLength(5);
    expect(out).toContain('writes "STOP" before his turn');
    expect(out).toMatch(
      /Final \(GET \/v1\/campaigns\/\{id\}\):\n {2}pending 0 · queued 0 · .* · replied 6 · opted out 1 · excluded 1 \(of 16\)/,
    );
    expect(out).toContain('replies by payload: {"No quiero promociones":1,"Quiero el código":5}');
    expect(out).toMatch(/reply rate: \d+\.\d%/);
    expect(out).toContain("Julián's marketing consent: opted_out");
    expect(out).toContain('Demo finished');
  }, 120_000);

  it('keeps `recontact demo` the appointment story and refuses an unknown one', async () => {
    const bad = await runCli(['demo', 'newsletter']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be "appointment" (the default), "campaign" or "resume"');
  });
});
