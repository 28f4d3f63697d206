import type { Logger } from 'pino';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { RecontactError } from '../domain/errors';
import { redactUrl } from '../domain/redact-url';
import { type EmbeddedSandbox, startEmbeddedSandbox } from '../embedded-sandbox';
import { pullTemplates } from '../engine/templates/sync';
import { SHUTDOWN_DEADLINE_MS } from '../engine/tuning';

export async function serve(opts: { dispatch?: boolean } = {}): Promise<void> {
  let config = loadConfig();
  let embedded: EmbeddedSandbox | undefined;
  if (!config.whatsapp) {
    embedded = await startEmbeddedSandbox(config);
    config = Object.freeze({ ...config, whatsapp: embedded.whatsapp });
  }
  const app = await createApp({
    config,
    runDispatcher: opts.dispatch !== false,
    ...(embedded ? { declaredAccounts: [embedded.messenger] } : {}),
  });
  const url = await app.listen();
  const publicUrl = config.publicUrl ?? url;
  embedded?.connect(publicUrl);
  for (const account of app.accounts.all()) {
    try {
      const n = await pullTemplates(app.ctx, app.channel, account);
      app.ctx.log.info({ account: account.id, templates: n }, 'templates synced from provider');
    } catch (err) {
      app.ctx.log.warn(
        { err, account: account.id },
        'could not sync templates; sends will use the stored state',
      );
    }
  }
  app.startWorkers();

  const lines = [
    '',
    `Recontact is listening on ${url}`,
    `  API reference:   ${url}/docs`,
    `  Meta webhooks:   ${publicUrl}/webhooks/whatsapp`,
    `  Database:        ${app.ctx.store.location}`,
    embedded
      ? `  Sandbox (Meta stand-in): ${embedded.whatsapp.baseUrl}  — no WHATSAPP_* credentials set (number ${embedded.whatsapp.phoneNumberId}, Messenger page ${embedded.messenger.externalId})`
      : `  WhatsApp:        ${redactUrl(config.whatsapp?.baseUrl ?? '')} (phone-number id ${config.whatsapp?.phoneNumberId})`,
    ...(opts.dispatch === false
      ? ['  Dispatcher:      off (--no-dispatch); run `recontact worker` to send']
      : []),
    app.createdApiKey
      ? `  Admin API key (shown once, store it): ${app.createdApiKey}`
      : '  API key:         RECONTACT_API_KEY or a key created earlier',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  onStopSignal(app.ctx.log, async () => {
    await app.stop();
    await embedded?.sandbox.close();
  });
}

/**
 * Graceful stop on the first SIGINT/SIGTERM: intake closes, sends in flight finish (or are
 * aborted at the dispatcher's deadline and left unconfirmed), results are recorded, leases handed
 * back. A second signal, or the overall deadline, ends the process at once.
 */
function onStopSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight sends (send the signal again to exit at once)');
    setTimeout(() => {
      log.error({ deadline_ms: SHUTDOWN_DEADLINE_MS }, 'graceful stop took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'graceful stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

/** The background half alone: dispatcher, webhook processor and event deliverer, no HTTP. */
export async function worker(): Promise<void> {
  const config = loadConfig();
  if (!config.whatsapp) {
    throw new RecontactError('CONFIG_INVALID', 'A worker needs WhatsApp credentials', {
      details: [
        { path: 'WHATSAPP_PHONE_NUMBER_ID', message: 'and the other WHATSAPP_* variables are not set' },
      ],
      hint: 'The embedded sandbox lives in `recontact serve`; point WHATSAPP_BASE_URL at a sandbox or at Meta.',
    });
  }
  const app = await createApp({ config });
  app.startWorkers();
  process.stdout.write(
    `Recontact worker running (dispatcher, webhook processor, event deliverer) on ${app.ctx.store.location}\n`,
  );
  onStopSignal(app.ctx.log, () => app.stop());
}
