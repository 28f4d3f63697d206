/**
 * The `recontact` command. Each subcommand lives in its own file; this one only declares them.
 */
import { Command } from 'commander';
import { RecontactError } from '../domain/errors';

const program = new Command();
program
  .name('recontact')
  .description('Bring chatbot users back after their WhatsApp conversation window has expired.')
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'Start the API, the dispatcher and the webhook processor (with the embedded sandbox when no Meta credentials are set)',
  )
  .option('--no-dispatch', 'accept and store messages but leave sending to `recontact worker` processes')
  .action(async (opts: { dispatch: boolean }) =>
    (await import('./serve')).serve({ dispatch: opts.dispatch }),
  );

program
  .command('worker')
  .description('Run the dispatcher, webhook processor and event deliverer without the HTTP API (scale-out)')
  .action(async () => (await import('./serve')).worker());

program
  .command('migrate')
  .description('Apply database migrations (DATABASE_URL, default ./data/recontact.db)')
  .action(async () => (await import('./migrate')).migrate());

program
  .command('send')
  .description('Send a message through a running Recontact (RECONTACT_URL, RECONTACT_API_KEY)')
  .requiredOption('--to <phone>', 'recipient, e.g. "+54 9 11 5555-1234"')
  .option('--template <name>', 'template name')
  .option('--language <code>', 'template language, e.g. es_AR')
  .option('--body <value...>', 'body values in order ({{1}}, {{2}}, ...), or name=value for named templates')
  .option(
    '--button <value...>',
    'per template button, in order: payload, url suffix or coupon code ("-" to skip)',
  )
  .option('--header-text <text>', 'value of the header variable')
  .option('--header-image <url>', 'header image link')
  .option('--text <body>', 'free-form text (only inside the 24-hour window)')
  .option('--metadata <json>', 'JSON object echoed in every event')
  .option('--idempotency-key <key>', 'same key + same message = sent once')
  .option('--wait', 'follow the message until it is read, replied or failed')
  .option('--url <url>', 'Recontact base URL', process.env.RECONTACT_URL ?? 'http://127.0.0.1:3000')
  .option('--api-key <key>', 'API key', process.env.RECONTACT_API_KEY)
  .action(async (opts) => process.exit(await (await import('./send')).send(opts)));

program
  .command('demo')
  .description('Play the appointment-confirmation story against the sandbox and print its timeline')
  .option('--database <url>', 'database URL (default: a temporary SQLite file)')
  .action(async (opts) => process.exit(await (await import('./demo')).demo(opts)));

program
  .command('sandbox')
  .description('Run only the sandbox (a local stand-in for the WhatsApp Cloud API) on its own port')
  .option('--port <port>', 'port', process.env.SANDBOX_PORT ?? '3001')
  .option('--host <host>', 'host', '127.0.0.1')
  .option(
    '--webhook-url <url>',
    'where to send webhooks (Recontact: http://127.0.0.1:3000/webhooks/whatsapp)',
  )
  .action(async (opts) => (await import('./sandbox')).sandbox(opts));

const templates = program.command('templates').description('Templates as code');
templates
  .command('lint')
  .description("Check template files against Meta's rules offline (exit 1 on errors)")
  .argument('<files...>', 'template files: Recontact YAML/JSON, a Meta create body, or a Meta listing')
  .option('--json', 'machine-readable output')
  .action(async (files: string[], opts: { json?: boolean }) => {
    const { runTemplatesLint } = await import('./templates-lint');
    process.exit(await runTemplatesLint(files, { json: opts.json === true }));
  });

templates
  .command('rules')
  .description('List the lint rules: id, severity, what each checks')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const { listLintRules } = await import('./templates-lint');
    process.exit(listLintRules({ json: opts.json === true }));
  });

/** The parsed options with the API key taken from the environment when not given. */
function keyed<T extends { apiKey?: string }>(opts: T): T {
  return { ...opts, apiKey: opts.apiKey ?? process.env.RECONTACT_API_KEY };
}

/** The options every command that talks to a running Recontact takes. */
function remote(cmd: Command): Command {
  return (
    cmd
      .option('--url <url>', 'Recontact base URL', process.env.RECONTACT_URL ?? 'http://127.0.0.1:3000')
      // No default shown for the key: --help would print a secret taken from the environment.
      .option('--api-key <key>', 'API key, admin for push and pull (default: $RECONTACT_API_KEY)')
      .option('--account <id>', 'channel account id (default: the first one)')
      .option('--json', 'machine-readable output')
  );
}

remote(
  templates
    .command('diff')
    .description(
      "Compare a template file with Meta's templates: create, update, unchanged, only at Meta (sends nothing)",
    )
    .argument('<file>', 'template file (YAML or JSON)'),
).action(async (file: string, opts) => {
  const { runTemplatesDiff } = await import('./templates-diff');
  process.exit(await runTemplatesDiff(file, keyed(opts)));
});

remote(
  templates
    .command('push')
    .description('Lint, show the plan, then create new and edit changed templates at Meta (never deletes)')
    .argument('<file>', 'template file (YAML or JSON)')
    .option('--yes', 'push without asking (required when stdin is not a terminal, e.g. in CI)')
    .option('--dry-run', 'lint and show the plan only'),
).action(async (file: string, opts) => {
  const { runTemplatesPush } = await import('./templates-push');
  process.exit(await runTemplatesPush(file, keyed(opts)));
});

remote(
  templates
    .command('pull')
    .alias('sync')
    .description("Bring Meta's template state (status, quality, category, ids) into Recontact's database"),
).action(async (opts) => {
  const { runTemplatesPull } = await import('./templates-pull');
  process.exit(await runTemplatesPull(keyed(opts)));
});

remote(
  templates
    .command('list')
    .description("The database's templates: name, language, category, status, quality, rejected reason"),
).action(async (opts) => {
  const { runTemplatesList } = await import('./templates-list');
  process.exit(await runTemplatesList(keyed(opts)));
});

remote(
  templates
    .command('preview')
    .description('Show what the user will see, with values given or taken from a contact')
    .argument('<name>', 'template name')
    .requiredOption('--language <code>', 'template language, e.g. es_AR')
    .option(
      '--body <value...>',
      'body values in order ({{1}}, {{2}}, ...), or name=value for named templates',
    )
    .option('--header-text <text>', 'value of the header variable')
    .option('--header-image <url>', 'header image link')
    .option(
      '--button <value...>',
      'per template button, in order: payload, url_suffix=…, coupon_code=… ("-" to skip)',
    )
    .option('--contact <phone>', "fill named variables from this contact's attributes and name"),
).action(async (name: string, opts) => {
  const { runTemplatesPreview } = await import('./templates-preview');
  process.exit(await runTemplatesPreview(name, keyed(opts)));
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof RecontactError) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    for (const d of err.details) process.stderr.write(`  ${d.path ? `${d.path}: ` : ''}${d.message}\n`);
    if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
  } else {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(err instanceof RecontactError && err.code === 'CONFIG_INVALID' ? 78 : 1);
});
