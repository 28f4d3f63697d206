/**
 * `recontact demo campaign`: the seed's discount story, played against the sandbox over real
 * HTTP. SaludCenter imports its patients from examples/campaign-contacts.csv, offers a taxi
 * discount to those tagged `taxi` (personalised with the first name and their discount), paced
 * at 5 messages a second so the funnel visibly moves; the sandbox's users tap the offer, one
 * declines it, and one texts STOP before their turn (skipped: opted out after launch). The
 * live funnel is printed as it moves, then the final counts, replies by payload and reply rate.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DemoOptions, type Json, startDemo } from './demo-kit';

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
  opts: DemoOptions,
  out = (s: string) => process.stdout.write(s),
): Promise<number> {
  const run = await startDemo(
    opts,
    {
      name: 'demo-campaign',
      key: { name: 'demo campaign', role: 'admin' },
      app: { campaignRunner: { pollMs: 50, checkEveryMs: 200 } },
    },
    out,
  );
  const { embedded, url, say, check, failures, waitFor } = run;
  const api = (method: 'GET' | 'POST', path: string, body?: unknown, type?: string) =>
    run.api(method, path, body, type ? { type } : {});
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
    await run.close();
  }

  function finish(code: number): number {
    if (code !== 0 && failures.length === 0) failures.push('the campaign did not complete');
    return run.finish(
      'Demo finished: the offer went out at its pace, the taps came back as replies, the STOP was honoured.',
    );
  }
}

const label = (k: (typeof FUNNEL)[number]) => (k === 'opted_out' ? 'opted out' : k);

function funnelLine(c: Json): string {
  const counts = (c.counts ?? {}) as Record<string, number>;
  // Accepted by Meta but not yet "sent" counts with sent: the funnel has no separate step for it.
  const shown: Record<string, number> = { ...counts, sent: (counts.sent ?? 0) + (counts.accepted ?? 0) };
  return FUNNEL.map((k) => `${label(k)} ${String(shown[k] ?? 0).padStart(2)}`).join(' · ');
}
