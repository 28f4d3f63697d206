import { createApp } from '../app';
import { loadConfig } from '../config';
import { type EmbeddedSandbox, startEmbeddedSandbox } from '../embedded-sandbox';
import { pullTemplates } from '../engine/template-sync';

export async function serve(): Promise<void> {
  let config = loadConfig();
  let embedded: EmbeddedSandbox | undefined;
  if (!config.whatsapp) {
    embedded = await startEmbeddedSandbox(config);
    config = Object.freeze({ ...config, whatsapp: embedded.whatsapp });
  }
  const app = await createApp({ config });
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
      ? `  Sandbox (Meta stand-in): ${embedded.whatsapp.baseUrl}  — no WHATSAPP_* credentials set`
      : `  WhatsApp:        ${config.whatsapp?.baseUrl} (phone-number id ${config.whatsapp?.phoneNumberId})`,
    app.createdApiKey
      ? `  Admin API key (shown once, store it): ${app.createdApiKey}`
      : '  API key:         RECONTACT_API_KEY or a key created earlier',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      process.stderr.write('forced exit\n');
      process.exit(1);
    }
    stopping = true;
    app.ctx.log.info({ signal }, 'stopping: finishing in-flight sends');
    await app.stop();
    await embedded?.sandbox.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
