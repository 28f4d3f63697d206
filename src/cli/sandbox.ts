import { SANDBOX_ACCOUNT, sandboxAccount } from '../embedded-sandbox';
import { createSandbox } from '../sandbox/sandbox';

export async function sandbox(opts: { port: number; host: string; webhookUrl?: string }): Promise<void> {
  const sb = createSandbox({
    accounts: [sandboxAccount(opts.webhookUrl ? { webhookUrl: opts.webhookUrl } : {})],
    delays: { sentMs: 200, deliveredMs: 600, readMs: 1500, templateReviewMs: 2000 },
  });
  const url = await sb.listen(opts.port, opts.host);
  process.stdout.write(
    [
      `WhatsApp Cloud API sandbox on ${url}`,
      `  POST ${url}/v25.0/${SANDBOX_ACCOUNT.phoneNumberId}/messages   (Authorization: Bearer ${SANDBOX_ACCOUNT.accessToken})`,
      `  WABA ${SANDBOX_ACCOUNT.wabaId}, app secret ${SANDBOX_ACCOUNT.appSecret}`,
      `  webhooks → ${opts.webhookUrl ?? '(none: pass --webhook-url)'}`,
      `  simulated users: ${url}/_sandbox/users/{wa_id}/inbox`,
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await sb.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
