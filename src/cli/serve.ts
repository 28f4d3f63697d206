import type { Logger } from 'pino';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { webhookPath } from '../domain/channels/account-rules';
import { RecontactError } from '../domain/errors';
import { redactUrl } from '../domain/redact-url';
import { type EmbeddedSandbox, startEmbeddedSandbox } from '../embedded-sandbox';
import { pullTemplates } from '../engine/templates/sync';
import { SHUTDOWN_DEADLINE_MS } from '../engine/tuning';

export interface ServeOptions {
  dispatch?: boolean;
  /** --config: the accounts file (else RECONTACT_CONFIG, else ./recontact.config.yaml if present). */
  configFile?: string | undefined;
  /** worker --metrics-port: wins over METRICS_PORT. */
  metricsPort?: number | undefined;
}

const configOf = (opts: ServeOptions) =>
  loadConfig(process.env, {
    ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
    lookForConfigFile: true,
  });

export async function serve(opts: ServeOptions = {}): Promise<void> {
  let config = configOf(opts);
  let embedded: EmbeddedSandbox | undefined;
  // The sandbox stands in for Meta only when nothing names a real account.
  if (!config.whatsapp && !config.accountsFile?.accounts.length) {
    embedded = await startEmbeddedSandbox(config);
    config = Object.freeze({ ...config, whatsapp: embedded.whatsapp });
  }
  const app = await createApp({
    config,
    runDispatcher: opts.dispatch !== false,
    ...(embedded ? { declaredAccounts: [embedded.messenger], sandboxUrl: embedded.whatsapp.baseUrl } : {}),
  });
  const url = await app.listen();
  const publicUrl = config.publicUrl ?? url;
  embedded?.connect(publicUrl);
  for (const account of app.accounts.enabled()) {
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
    `  Web app:         ${url}/  (sign in with the admin key below, or a user: recontact users create)`,
    `  API reference:   ${url}/docs`,
    `  Meta webhooks:   ${publicUrl}/webhooks/whatsapp, ${publicUrl}/webhooks/messenger (every account)`,
    ...app.accounts
      .enabled()
      .map((a) => `                   ${publicUrl}${webhookPath(a.channel, a.name)} (${a.name} only)`),
    ...(config.accountsFile
      ? [`  Config file:     ${config.accountsFile.path} (${config.accountsFile.accounts.length} accounts)`]
      : []),
    `  Database:        ${app.ctx.store.location}`,
    embedded
      ? `  Sandbox (Meta stand-in): ${embedded.whatsapp.baseUrl}  — no WHATSAPP_* credentials set (number ${embedded.whatsapp.phoneNumberId}, Messenger page ${embedded.messenger.externalId})`
      : config.whatsapp
        ? `  WhatsApp:        ${redactUrl(config.whatsapp.baseUrl)} (phone-number id ${config.whatsapp.phoneNumberId})`
        : `  Accounts:        ${app.accounts.enabled().length} enabled (GET /v1/channel-accounts)`,
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
export async function worker(opts: ServeOptions = {}): Promise<void> {
  const config = configOf(opts);
  const app = await createApp({ config });
  // Accounts may come from the environment, the config file, or the API through the database.
  if (app.accounts.enabled().length === 0) {
    await app.stop();
    throw new RecontactError('CONFIG_INVALID', 'A worker needs a channel account to send from', {
      details: [
        {
          path: 'WHATSAPP_PHONE_NUMBER_ID',
          message: 'is not set, no config file declares an account, and the database has no enabled one',
        },
      ],
      hint: 'The embedded sandbox lives in `recontact serve`; set the WHATSAPP_* variables, give --config recontact.config.yaml, or create an account through POST /v1/channel-accounts.',
    });
  }
  const metricsPort = opts.metricsPort ?? config.metrics.port;
  // Before any work starts: a port already taken stops the start, as it does for `serve`.
  const metricsUrl = metricsPort === undefined ? undefined : await app.listenMetrics(metricsPort);
  app.startWorkers();
  process.stdout.write(
    `Recontact worker running (dispatcher, webhook processor, event deliverer) on ${app.ctx.store.location}\n${
      metricsUrl ? `  Metrics:         ${metricsUrl}/metrics\n` : ''
    }`,
  );
  onStopSignal(app.ctx.log, () => app.stop());
}
