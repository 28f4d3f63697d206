/**
 * The limit every send figure is printed beside: a bare undici loop posting template sends
 * straight to the sandbox, at 16, 64 and 128 in flight, the best of the three.
 */
import { Pool } from 'undici';
import { SANDBOX_ACCOUNT } from '../src/embedded-sandbox';
import { cpuSeconds } from './procs';

const GRAPH = 'v25.0';

/**
 * The template send every contender posts, as an object (a job queue stores it as a job's JSON
 * data); `tag` marks whose it is in biz_opaque_callback_data.
 */
export const templateSend = (i: number, tag = 'bare') => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: `1650555${String(i % 10_000).padStart(4, '0')}`,
  type: 'template',
  biz_opaque_callback_data: `${tag}-${i}`,
  template: {
    name: 'appointment_reminder',
    language: { code: 'es_AR', policy: 'deterministic' },
    components: [
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia' },
          { type: 'text', text: 'la Dra. Gómez' },
          { type: 'text', text: 'lunes 3 de marzo a las 10:00' },
        ],
      },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '0',
        parameters: [{ type: 'payload', payload: 'CONFIRM:1' }],
      },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '1',
        parameters: [{ type: 'payload', payload: 'CANCEL:1' }],
      },
    ],
  },
});

/** Posts send `i` (tagged `tag`) to the sandbox as Meta's Graph API takes it; Meta's message id. */
export function templatePoster(pool: Pool, tag = 'bare'): (i: number) => Promise<string> {
  const path = `/${GRAPH}/${SANDBOX_ACCOUNT.phoneNumberId}/messages`;
  const headers = {
    authorization: `Bearer ${SANDBOX_ACCOUNT.accessToken}`,
    'content-type': 'application/json',
  };
  return async (i) => {
    const res = await pool.request({
      method: 'POST',
      path,
      headers,
      body: JSON.stringify(templateSend(i, tag)),
    });
    const json = (await res.body.json()) as { messages?: Array<{ id: string }> };
    const id = json.messages?.[0]?.id;
    if (!id) throw new Error(`sandbox refused: ${JSON.stringify(json)}`);
    return id;
  };
}

/** Runs `total` requests with `concurrency` workers; returns latencies in ms. */
export async function drive(
  total: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await one(i);
        lat.push(performance.now() - t);
      }
    }),
  );
  return lat;
}

export async function bareLoop(sandboxUrl: string, N: number, sandboxPid?: number): Promise<BareLoopRun> {
  let best: BareLoopRun = { rate: 0, concurrency: 0, cpuUsPerMsg: 0, sandboxCpuUsPerMsg: Number.NaN };
  for (const concurrency of [16, 64, 128]) {
    const run = await bareLoopAt(sandboxUrl, N, concurrency, sandboxPid);
    if (run.rate > best.rate) best = run;
  }
  return best;
}

export interface BareLoopRun {
  rate: number;
  concurrency: number;
  cpuUsPerMsg: number;
  sandboxCpuUsPerMsg: number;
}

/** The bare loop at one number in flight, after its own warm-up. */
export async function bareLoopAt(
  sandboxUrl: string,
  N: number,
  concurrency: number,
  sandboxPid?: number,
): Promise<BareLoopRun> {
  const pool = new Pool(sandboxUrl, { connections: concurrency });
  const post = templatePoster(pool);
  const send = async (i: number) => void (await post(i));
  await drive(2_000, concurrency, send); // warm-up
  const cpu0 = process.cpuUsage();
  const sandbox0 = sandboxPid === undefined ? Number.NaN : cpuSeconds(sandboxPid);
  const t0 = performance.now();
  await drive(N, concurrency, send);
  const rate = N / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  const sandboxCpuUsPerMsg =
    sandboxPid === undefined ? Number.NaN : ((cpuSeconds(sandboxPid) - sandbox0) * 1e6) / N;
  await pool.close();
  return { rate, concurrency, cpuUsPerMsg: (cpu.user + cpu.system) / N, sandboxCpuUsPerMsg };
}
