/**
 * The sandbox alone in a process for the scale-out bench: SCALE_NUMBERS numbers at SCALE_MPS
 * messages/s each (Meta's 130429 beyond it). Status webhooks only when SCALE_WEBHOOK_URL names
 * Recontact's endpoint, and then only `sent` — the one status that proves a send whose answer
 * was lost — so that the figures stay about dispatch.
 */
import { createSandbox } from '../../src/sandbox/sandbox';
import { benchNumbers, sandboxAccounts } from './numbers';

const numbers = benchNumbers(Number(process.env.SCALE_NUMBERS));
const webhookUrl = process.env.SCALE_WEBHOOK_URL || undefined;
const sb = createSandbox({
  accounts: sandboxAccounts(numbers, Number(process.env.SCALE_MPS)).map((a) =>
    webhookUrl ? { ...a, webhookUrl } : a,
  ),
  statusWebhooks: webhookUrl !== undefined,
  delays: { sentMs: 0, deliveredMs: 0, readMs: null, templateReviewMs: 0 },
  faults: { skipDelivered: true },
});
const url = await sb.listen(0, '127.0.0.1');
process.stdout.write(`READY ${url}\n`);
process.on('SIGTERM', () => void sb.close().then(() => process.exit(0)));
