/**
 * Pacing as Meta sees it: with the number configured for 20 messages a second, no one-second
 * window at the receiver ever holds more than 20 of our sends.
 *
 * The receiver is the sandbox in its own process, as Meta is on its own machines. The guarantee
 * does not rest on timing luck: a send occupies its place in the window until its answer has
 * come back plus one second (it reached Meta at the latest when Meta answered), so neither cold
 * connections nor a busy machine can squeeze more than the limit into one second at the
 * receiver. The test prints the narrowest margin it saw.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { pullTemplates } from '../../src/engine/templates/sync';
import { REMINDER } from '../support/harness';
import { openTestStore, type TestStore } from '../support/stores';

const RATE = 20;
const N = 70;

describe('pacing', () => {
  let store: TestStore;
  let sandbox: ChildProcess;
  let sandboxUrl: string;
  let app: App;

  beforeAll(async () => {
    sandbox = spawn(process.execPath, ['bin/recontact.js', 'sandbox', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    sandboxUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      sandbox.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /sandbox on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      sandbox.on('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
    });
    store = await openTestStore('sqlite');
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: store.url,
      WHATSAPP_PHONE_NUMBER_ID: SANDBOX_ACCOUNT.phoneNumberId,
      WHATSAPP_WABA_ID: SANDBOX_ACCOUNT.wabaId,
      WHATSAPP_ACCESS_TOKEN: SANDBOX_ACCOUNT.accessToken,
      WHATSAPP_APP_SECRET: SANDBOX_ACCOUNT.appSecret,
      WHATSAPP_VERIFY_TOKEN: SANDBOX_ACCOUNT.verifyToken,
      WHATSAPP_BASE_URL: sandboxUrl,
      WHATSAPP_THROUGHPUT_MPS: String(RATE),
    });
    app = await createApp({ config, store, dispatcher: { pollMs: 20 } });
    await pullTemplates(app.ctx, app.channel, app.accounts.all()[0]!);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    sandbox?.kill('SIGKILL');
    await store?.destroy();
  });

  const received = async (): Promise<number[]> => {
    const res = await request(`${sandboxUrl}/_sandbox/messages`);
    const body = (await res.body.json()) as { data: Array<{ at: number }> };
    return body.data.map((m) => m.at).sort((a, b) => a - b);
  };

  it('never lets the receiver see more than the configured rate in any one-second window', async () => {
    // Queued before the dispatcher starts, so it meets a full backlog on cold connections.
    for (let i = 0; i < N; i++) {
      await app.sendService.send({ ...REMINDER, to: `+1 650 555 ${4000 + i}` });
    }
    app.startWorkers();
    const deadline = Date.now() + 30_000;
    let times = await received();
    while (times.length < N) {
      if (Date.now() > deadline) throw new Error(`only ${times.length} of ${N} sends arrived`);
      await new Promise((r) => setTimeout(r, 50));
      times = await received();
    }
    let most = 0;
    // The narrowest span holding RATE + 1 sends: the limit holds while it is at least 1,000 ms.
    let narrowest = Number.POSITIVE_INFINITY;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      most = Math.max(most, i - j + 1);
      if (i >= RATE) narrowest = Math.min(narrowest, times[i]! - times[i - RATE]!);
    }
    process.stdout.write(
      `[pacing] ${N} sends at ${RATE}/s: at most ${most} in any second at the receiver; ` +
        `narrowest span of ${RATE + 1} consecutive sends ${narrowest} ms (limit kept while ≥ 1000 ms)\n`,
    );
    expect(most).toBeLessThanOrEqual(RATE);
    expect(most).toBeGreaterThan(1); // it sent in bursts of the allowance, not one by one
  }, 60_000);
});
