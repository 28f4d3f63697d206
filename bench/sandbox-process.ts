/** The sandbox alone in a process for the benchmark; BENCH_STATUS_WEBHOOKS=0 turns statuses off. */
import { sandboxAccount } from '../src/embedded-sandbox';
import { createSandbox } from '../src/sandbox/sandbox';

const sb = createSandbox({
  accounts: [sandboxAccount({ throughputMps: 0 })],
  statusWebhooks: process.env.BENCH_STATUS_WEBHOOKS === '1',
  delays: { sentMs: 0, deliveredMs: 0, readMs: null, templateReviewMs: 0 },
});
const url = await sb.listen(0, '127.0.0.1');
process.stdout.write(`READY ${url}\n`);
process.on('SIGTERM', () => void sb.close().then(() => process.exit(0)));
