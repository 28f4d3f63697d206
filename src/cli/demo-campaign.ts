/**
 * `recontact demo campaign`: the seed's discount story, played against the sandbox over real
 * HTTP. SaludCenter imports its patients from examples/campaign-contacts.csv, offers a taxi
 * discount to those tagged `taxi` (personalised with the first name and their discount), paced
 * at 5 messages a second so the funnel visibly moves; the sandbox's users tap the offer, one
 * declines it, and one texts STOP before their turn (skipped: opted out after launch). The
 * live funnel is printed as it moves, then the final counts, replies by payload and reply rate.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { startEmbeddedSandbox } from '../embedded-sandbox';
import { pullTemplates } from '../engine/templates/sync';

// The demo reads our own API's JSON field by field, only to print it.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = Record<string, any>;

const CONTACTS_CSV = fileURLToPath(new URL('../../examples/campaign-contacts.csv', import.meta.url));
const PACE = 5;
/** Who taps what once the offer is on their phone (wa ids from the CSV). */
const TAPS: Record<string, string> = {
  '5493415552001': 'Quiero el código',
  '5491155552003': 'Quiero el código',
  '5493515552005': 'Quiero el código',
  '5493815552009': 'Quiero el código',
  '5491155552011': 'Quiero el código',
  '5491155552004': 'No quiero promociones',
};
/** Julián: the last in line, he texts STOP before his turn comes. */
const STOPPER = { waId: '5493425552016', name: 'Julián' };
const FUNNEL = [
  'pending',
  'queued',
  'sent',
  'delivered',
  'read',
  'replied',
  'opted_out',
  'excluded',
] as const;

export async function demoCampaign(
  opts: { database?: string; port?: number; sandboxPort?: number },
  out = (s: string) => process.stdout.write(s),
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-demo-campaign-'));
  const t0 = Date.now();
  const stamp = () => `+${((Date.now() - t0) / 1000).toFixed(2)}s`.padStart(8);
  const say = (who: string, text: string) => out(`${stamp()}  ${who.padEnd(10)} ${text}\n`);
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };

  const base = loadConfig({
    PORT: String(opts.port ?? 0),
    SANDBOX_PORT: String(opts.sandboxPort ?? 0),
    LOG_LEVEL: 'silent',
    DATABASE_URL: opts.database ?? join(dir, 'demo.db'),
  });
  const embedded = await startEmbeddedSandbox(base, {
    delays: { sentMs: 150, deliveredMs: 400, readMs: 900, templateReviewMs: 500 },
    webhookBatchMs: 5,
  });
  const config = Object.freeze({ ...base, whatsapp: embedded.whatsapp });
  const app = await createApp({ config, campaignRunner: { pollMs: 50, checkEveryMs: 200 } });
  const url = await app.listen(opts.port ?? 0, '127.0.0.1');
  embedded.connect(url);
  await pullTemplates(app.ctx, app.channel, app.accounts.all()[0]!);
  app.startWorkers();
  const key = (await app.apiKeys.create('demo campaign', 'admin')).key;
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown, type = 'application/json') => {
    const res = await request(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.statusCode, json: (await res.body.json()) as Json };
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    failures.push(`timed out waiting for ${what}`);
    return undefined;
  };
  const users = embedded.sandbox.users;
  const phoneId = embedded.whatsapp.phoneNumberId;

  try {
    out('Recontact demo — the taxi-discount campaign (SaludCenter → its patients)\n');
    out(`Recontact ${url} · sandbox ${embedded.whatsapp.baseUrl}\n\n`);

    // 1. The patients, from the CSV in examples/.
    const imported = await api('POST', '/v1/contacts/import', readFileSync(CONTACTS_CSV, 'utf8'), 'text/csv');
    check(imported.status === 202, `the import should be accepted (HTTP ${imported.status})`);
    const job = await waitFor('the import', async () => {
      const j = (await api('GET', `/v1/imports/${imported.json.id}`)).json;
      return j.state === 'running' ? undefined : j;
    });
    say(
      'import',
      `examples/campaign-contacts.csv → ${job?.created} contacts created, ${job?.rejected ?? 0} rejected`,
    );

    // 2. The campaign: everyone tagged `taxi`, first name and discount from the contact.
    const created = await api('POST', '/v1/campaigns', {
      name: 'Taxi 10% — noviembre',
      template: {
        name: 'taxi_discount',
        language: 'es_AR',
        header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
        body: [
          { field: 'first_name', default: 'cliente' },
          { attribute: 'discount', default: '10%' },
        ],
        buttons: [null, null, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
      },
      audience: { filter: { tags: { all: ['taxi'] } } },
      pace: PACE,
      metadata: { offer: 'taxi10' },
    });
    check(created.status === 201, `the campaign should be created (HTTP ${created.status})`);
    const id = String(created.json.id);
    const plan = (await api('POST', `/v1/campaigns/${id}/plan`)).json;
    const exclusions = Object.entries((plan.excluded ?? {}) as Record<string, number>)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    say(
      'plan',
      `audience tag "taxi": ${plan.recipients} to send${exclusions ? `, excluded: ${exclusions}` : ''}; at ${PACE}/s`,
    );
    if (plan.preview?.text) say('plan', `preview: "${plan.preview.text}"`);

    // 3. The sandbox's users: the taps, and Julián's STOP before his turn.
    const tapped = new Set<string>();
    const react = () => {
      for (const [waId, button] of Object.entries(TAPS)) {
        if (tapped.has(waId)) continue;
        const offer = users.inbox(waId).find((m) => m.type === 'template');
        if (!offer) continue;
        tapped.add(waId);
        users.tapButton(phoneId, waId, offer.wamid, button);
        say('user', `${waId} taps "${button}"`);
      }
    };

    const launched = await api('POST', `/v1/campaigns/${id}/launch`);
    check(launched.status === 200, `the launch should answer 200 (HTTP ${launched.status})`);
    say('launch', `${launched.json.state}: ${launched.json.counts?.recipients} recipients materialised`);
    // As the first offers go out, Julián (last in line) texts STOP: he is skipped, not sent to.
    users.sendText(phoneId, STOPPER.waId, 'STOP');
    say('user', `${STOPPER.waId} (${STOPPER.name}) writes "STOP" before his turn`);

    let last = '';
    let firstOffer = '';
    const done = await waitFor(
      'the campaign to complete',
      async () => {
        const c = (await api('GET', `/v1/campaigns/${id}`)).json;
        if (!firstOffer) {
          const got = users.inbox('5493415552001').find((m) => m.type === 'template');
          if (got) {
            firstOffer = got.text ?? '';
            say('user', `5493415552001 receives: "${firstOffer}"`);
          }
        }
        react();
        const line = funnelLine(c);
        if (line !== last) {
          last = line;
          say('funnel', `${c.state.padEnd(9)} ${line}`);
        }
        // Completed, and every tap has come back as a reply.
        return c.state === 'completed' && (c.counts?.replied ?? 0) >= Object.keys(TAPS).length
          ? c
          : undefined;
      },
      25_000,
    );
    if (!done) return finish(1);

    out('\nFinal (GET /v1/campaigns/{id}):\n');
    out(
      `  ${FUNNEL.map((k) => `${label(k)} ${done.counts[k]}`).join(' · ')} (of ${done.counts.recipients})\n`,
    );
    out(`  excluded by reason: ${JSON.stringify(done.excluded_by_reason ?? {})}\n`);
    out(`  replies by payload: ${JSON.stringify(done.replies_by_payload)}\n`);
    const rate = typeof done.reply_rate === 'number' ? `${(done.reply_rate * 100).toFixed(1)}%` : 'n/a';
    const median =
      typeof done.median_reply_seconds === 'number'
        ? `, median time to reply ${done.median_reply_seconds.toFixed(1)} s`
        : '';
    out(`  reply rate: ${rate}${median}\n`);
    const stopperConsent = (await api('GET', `/v1/contacts/${encodeURIComponent(`+${STOPPER.waId}`)}`)).json;
    out(
      `  ${STOPPER.name}'s marketing consent: ${stopperConsent.consent?.marketing ?? JSON.stringify(stopperConsent.consent)}\n`,
    );

    check(done.counts.opted_out === 1, 'the STOP should count one recipient opted out during the campaign');
    check(
      !users.inbox(STOPPER.waId).some((m) => m.type === 'template'),
      'the contact who wrote STOP must not get the offer',
    );
    check((done.replies_by_payload?.['Quiero el código'] ?? 0) === 5, 'five taps on "Quiero el código"');
    return finish(0);
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
    return finish(1);
  } finally {
    await embedded.sandbox.close();
    await app.stop();
    if (!opts.database) rmSync(dir, { recursive: true, force: true });
  }

  function finish(code: number): number {
    if (failures.length || code !== 0) {
      out(`\nDemo FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
      return 1;
    }
    out(
      '\nDemo finished: the offer went out at its pace, the taps came back as replies, the STOP was honoured.\n',
    );
    return 0;
  }
}

const label = (k: (typeof FUNNEL)[number]) => (k === 'opted_out' ? 'opted out' : k);

function funnelLine(c: Json): string {
  const counts = (c.counts ?? {}) as Record<string, number>;
  // Accepted by Meta but not yet "sent" counts with sent: the funnel has no separate step for it.
  const shown: Record<string, number> = { ...counts, sent: (counts.sent ?? 0) + (counts.accepted ?? 0) };
  return FUNNEL.map((k) => `${label(k)} ${String(shown[k] ?? 0).padStart(2)}`).join(' · ');
}
