/**
 * The `recontact` command. Each subcommand lives in its own file; this one declares them and is
 * the one place where failures are printed (one line on stderr, see ./errors).
 */
import { Command, InvalidArgumentError } from 'commander';
import { type CliConfig, loadCliConfig, loadConfig } from '../config';
import type { RemoteOptions } from './api-client';
import { BUTTON_HELP } from './button-values';
import { addCampaignCommands, addCampaignRunCommands } from './campaigns';
import { addCampaignPlanCommand } from './campaigns-plan';
import { addCampaignRecipientsCommand } from './campaigns-recipients';
import { addCampaignStatusCommand } from './campaigns-status';
import { describeFailure } from './errors';

const EXIT_CODES = `
Exit codes:
  0   done
  1   failed: Recontact refused or could not be reached, lint found errors, a send would be refused
  2   usage: a wrong flag or value, or a file that cannot be read (nothing was sent)
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY, or the server's variables)`;

const CONFIG_HELP =
  'channel accounts file (default: $RECONTACT_CONFIG, else ./recontact.config.yaml if present)';

const VALUES_HELP = 'body values in order ({{1}}, {{2}}, ...), or name=value for named templates';

// Read on first use only: `recontact templates lint` must work whatever the environment holds.
let cliConfig: Readonly<CliConfig> | undefined;
const env = (): Readonly<CliConfig> => {
  cliConfig ??= loadCliConfig();
  return cliConfig;
};

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0 = any free port)');
  return Number(value);
}

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an address like http://127.0.0.1:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be an http:// or https:// address, like http://127.0.0.1:3000');
  return value.replace(/\/+$/, '');
}

/** The options of every command that talks to a running Recontact. */
function remote(cmd: Command, opts: { json?: boolean } = {}): Command {
  cmd
    .option(
      '--url <url>',
      'Recontact base URL (default: $RECONTACT_URL, else http://127.0.0.1:3000)',
      parseUrl,
    )
    // No default shown for the key: --help would print a secret taken from the environment.
    .option('--api-key <key>', 'API key (default: $RECONTACT_API_KEY)')
    .option('--account <id>', 'channel account id (default: the first one)');
  if (opts.json !== false) cmd.option('--json', 'machine-readable output');
  return cmd;
}

/** The parsed options with the URL and key taken from the environment when not given. */
function connected<T extends Partial<RemoteOptions>>(opts: T): T & RemoteOptions {
  return { ...opts, url: opts.url ?? env().url, apiKey: opts.apiKey ?? env().apiKey };
}

const program = new Command();
// Before any subcommand is declared: subcommands copy these settings when they are created.
program
  .name('recontact')
  .description('Bring chatbot users back after their WhatsApp conversation window has expired.')
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .addHelpText('after', EXIT_CODES);

program
  .command('serve')
  .description(
    'Start the API, the dispatcher and the webhook processor (with the embedded sandbox when no Meta credentials are set)',
  )
  .option('--no-dispatch', 'accept and store messages but leave sending to `recontact worker` processes')
  .option('--config <file>', CONFIG_HELP)
  .action(async (opts: { dispatch: boolean; config?: string }) =>
    (await import('./serve')).serve({ dispatch: opts.dispatch, configFile: opts.config }),
  );

program
  .command('worker')
  .description('Run the dispatcher, webhook processor and event deliverer without the HTTP API (scale-out)')
  .option('--config <file>', CONFIG_HELP)
  .option(
    '--metrics-port <port>',
    'serve GET /metrics on this port (default: $METRICS_PORT, else none), on $METRICS_HOST (127.0.0.1)',
    parsePort,
  )
  .action(async (opts: { config?: string; metricsPort?: number }) =>
    (await import('./serve')).worker({ configFile: opts.config, metricsPort: opts.metricsPort }),
  );

program
  .command('migrate')
  .description('Apply database migrations (DATABASE_URL, default ./data/recontact.db)')
  .action(async () => (await import('./migrate')).migrate());

remote(
  program
    .command('send')
    .description('Send a message through a running Recontact (RECONTACT_URL, RECONTACT_API_KEY)')
    .requiredOption('--to <phone>', 'recipient, e.g. "+54 9 11 5555-1234"')
    .option('--template <name>', 'template name')
    .option('--language <code>', 'template language, e.g. es_AR')
    .option('--body <value...>', VALUES_HELP)
    .option('--button <value...>', BUTTON_HELP)
    .option('--header-text <text>', 'value of the header variable')
    .option('--header-image <url>', 'header image link')
    .option('--text <body>', 'free-form text (only inside the 24-hour window)')
    .option('--metadata <json>', 'JSON object echoed in every event')
    .option('--idempotency-key <key>', 'same key + same message = sent once')
    .option('--wait', 'follow the message until it is read, replied or failed'),
  { json: false },
)
  .addHelpText(
    'after',
    `
Examples:
  recontact send --to "+54 9 11 5555-1234" --template appointment_reminder --language es_AR \\
    --body Emilia "la Dra. Gómez" "lunes 3 de marzo a las 10:00" --button CONFIRM:appt-123 CANCEL:appt-123
  recontact send --to +5491155551234 --template taxi_discount --language es_AR \\
    --header-image https://cdn.example/taxi.jpg --body Emilia 10% --button - - taxi10 TAXI10
  recontact send --to +5491155551234 --text "¡Gracias!"
${EXIT_CODES}`,
  )
  .action(async (opts) => process.exit(await (await import('./send')).send(connected(opts))));

program
  .command('demo')
  .description(
    'Play a story against the sandbox: the appointment confirmation (default) and its timeline, ' +
      '"campaign": the taxi-discount campaign with its live funnel, or "resume": a window that closes ' +
      'while Emilia waits for an agent, the resume template, her reply and the held answer released',
  )
  .argument('[story]', 'appointment | campaign | resume', (v: string) => {
    if (v !== 'appointment' && v !== 'campaign' && v !== 'resume')
      throw new InvalidArgumentError('must be "appointment" (the default), "campaign" or "resume"');
    return v;
  })
  .option(
    '--channel <channel>',
    "whatsapp (default) or messenger: the appointment story on the sandbox's Facebook page, with a utility template and postback buttons",
    (v: string) => {
      if (v !== 'whatsapp' && v !== 'messenger')
        throw new InvalidArgumentError('must be "whatsapp" (the default) or "messenger"');
      return v;
    },
    'whatsapp',
  )
  .option('--database <url>', 'database URL (default: a temporary SQLite file)')
  .option('--port <port>', "Recontact's API port (0 = any free port)", parsePort, 0)
  .option('--sandbox-port <port>', "the sandbox's port (0 = any free port)", parsePort, 0)
  .action(async (story: string | undefined, { channel, ...opts }) => {
    if (channel === 'messenger' && story !== undefined && story !== 'appointment') {
      process.stderr.write(
        `error: the ${story} story runs on WhatsApp only; on Messenger: recontact demo --channel messenger\n`,
      );
      process.exit(2);
    }
    process.exit(
      channel === 'messenger'
        ? await (await import('./demo-messenger')).demoMessenger(opts)
        : story === 'campaign'
          ? await (await import('./demo-campaign')).demoCampaign(opts)
          : story === 'resume'
            ? await (await import('./demo-resume')).demoResume(opts)
            : await (await import('./demo')).demo(opts),
    );
  });

program
  .command('sandbox')
  .description('Run only the sandbox (a local stand-in for the WhatsApp Cloud API) on its own port')
  .option('--port <port>', 'port (default: $SANDBOX_PORT, else 3001)', parsePort)
  .option('--host <host>', 'host', '127.0.0.1')
  .option(
    '--webhook-url <url>',
    'where to send webhooks (Recontact: http://127.0.0.1:3000/webhooks/whatsapp)',
    parseUrl,
  )
  .action(async (opts: { port?: number; host: string; webhookUrl?: string }) =>
    (await import('./sandbox')).sandbox({ ...opts, port: opts.port ?? env().sandboxPort }),
  );

const templates = program.command('templates').description('Templates as code');
templates
  .command('lint')
  .description("Check template files against Meta's rules offline (exit 1 on errors)")
  .argument('<files...>', 'template files: Recontact YAML/JSON, a Meta create body, or a Meta listing')
  .option('--json', 'machine-readable output')
  .option('--channel <channel>', 'whatsapp (default) or messenger: a page adds its own rules', 'whatsapp')
  .addHelpText(
    'after',
    '\nExit codes: 0 no errors (warnings allowed), 1 errors found or a file does not parse, 2 a file cannot be read or a wrong option.',
  )
  .action(async (files: string[], opts: { json?: boolean; channel: string }) => {
    if (opts.channel !== 'whatsapp' && opts.channel !== 'messenger') {
      process.stderr.write(`error: --channel must be "whatsapp" or "messenger", got "${opts.channel}"\n`);
      process.exit(2);
    }
    const { runTemplatesLint } = await import('./templates-lint');
    process.exit(await runTemplatesLint(files, { json: opts.json === true, channel: opts.channel }));
  });

templates
  .command('rules')
  .description('List the lint rules: id, severity, what each checks')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const { listLintRules } = await import('./templates-lint');
    process.exit(listLintRules({ json: opts.json === true }));
  });

remote(
  templates
    .command('diff')
    .description(
      "Compare a template file with Meta's templates: create, update, unchanged, only at Meta (sends nothing)",
    )
    .argument('<file>', 'template file (YAML or JSON)'),
).action(async (file: string, opts) => {
  const { runTemplatesDiff } = await import('./templates-diff');
  process.exit(await runTemplatesDiff(file, connected(opts)));
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
  process.exit(await runTemplatesPush(file, connected(opts)));
});

remote(
  templates
    .command('pull')
    .alias('sync')
    .description("Bring Meta's template state (status, quality, category, ids) into Recontact's database"),
).action(async (opts) => {
  const { runTemplatesPull } = await import('./templates-pull');
  process.exit(await runTemplatesPull(connected(opts)));
});

remote(
  templates
    .command('list')
    .description("The database's templates: name, language, category, status, quality, rejected reason"),
).action(async (opts) => {
  const { runTemplatesList } = await import('./templates-list');
  process.exit(await runTemplatesList(connected(opts)));
});

remote(
  templates
    .command('preview')
    .description('Show what the user will see, with values given or taken from a contact')
    .argument('<name>', 'template name')
    .requiredOption('--language <code>', 'template language, e.g. es_AR')
    .option('--body <value...>', VALUES_HELP)
    .option('--header-text <text>', 'value of the header variable')
    .option('--header-image <url>', 'header image link')
    .option('--button <value...>', BUTTON_HELP)
    .option('--contact <phone>', "fill named variables from this contact's attributes and name"),
)
  .addHelpText(
    'after',
    `
Examples:
  recontact templates preview appointment_reminder --language es_AR \\
    --body Emilia "la Dra. Gómez" "lunes 3 de marzo a las 10:00" --button CONFIRM:1 CANCEL:1
  recontact templates preview taxi_discount --language es_AR --header-image https://cdn.example/taxi.jpg \\
    --body Emilia 10% --button - - taxi10 TAXI10

Exit codes:
  0   shown, and a send with these values would be accepted now
  1   shown, and a send would be refused (values missing or wrong, or the template is not
      approved: the preview says why); or Recontact refused or could not be reached
  2   usage: a wrong flag or value (nothing was sent)
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)`,
  )
  .action(async (name: string, opts) => {
    const { runTemplatesPreview } = await import('./templates-preview');
    process.exit(await runTemplatesPreview(name, connected(opts)));
  });

const collect = (value: string, previous: string[] = []) => [...previous, value];
const contacts = program.command('contacts').description('The contact book');
remote(
  contacts
    .command('import')
    .description('Import contacts from a CSV file into a running Recontact (an upsert by phone)')
    .argument(
      '<file>',
      'CSV with a header row: phone, name, language, time_zone, tags, opted_out, attributes…',
    )
    .option('--tag <tag>', 'add this tag to every imported contact (repeatable)', collect)
    .option(
      '--map <col=attr>',
      'rename a column: to an attribute, or to name, language… (repeatable)',
      collect,
    )
    .option('--phone-column <name>', 'header of the phone column (default: phone)')
    .option('--consent <state>', 'opted-in: record a marketing opt-in for rows without an opted_out value')
    .option('--default-country <code>', 'read numbers without a country code as this country, e.g. AR')
    .option(
      '--rejects <path>',
      'where to write the rejected rows (default: FILE.rejects.csv beside the file)',
    )
    .option('--strict', 'exit 1 when any row was rejected'),
)
  .addHelpText(
    'after',
    `
Each bad row is rejected with its line, column and reason, and never stops the good ones.
The summary counts created / updated / unchanged / rejected; importing the same file again
changes nothing. Rejected rows are printed and written to a CSV (--rejects).

Examples:
  recontact contacts import customers.csv --tag clinic --map Nombre=name --default-country AR
  recontact contacts import optins.csv --consent opted-in --strict

Exit codes:
  0   the import ran to its end, rejected rows included (see --strict)
  1   the file was refused as a whole (not a CSV, no phone column…) or the import failed; with
      --strict, also when any row was rejected; or Recontact refused or could not be reached
  2   usage: a wrong flag or value, or the file cannot be read (nothing was sent)
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)`,
  )
  .action(async (file: string, opts) => {
    const { runContactsImport } = await import('./contacts-import');
    process.exit(await runContactsImport(file, connected(opts)));
  });

const campaigns = program.command('campaigns').description('Campaigns: one template to an audience');
addCampaignCommands(campaigns, { remote, connected });
addCampaignPlanCommand(campaigns, { remote, connected });
addCampaignRunCommands(campaigns, { remote, connected });
addCampaignStatusCommand(campaigns, { remote, connected });
addCampaignRecipientsCommand(campaigns, { remote, connected });

const accounts = program
  .command('accounts')
  .description(
    'Channel accounts of a running Recontact (needs an admin key); manage them with /v1/channel-accounts',
  );

remote(
  accounts
    .command('list')
    .description(
      'Every WhatsApp number and Messenger page: name, Meta id, status, pace, source, secret fingerprint, webhook path',
    ),
).action(async (opts) => process.exit(await (await import('./accounts')).runAccountsList(connected(opts))));

const keys = program
  .command('keys')
  .description('API keys of a running Recontact: list, create, revoke, rotate (needs an admin key)');

remote(
  keys.command('list').description('Every key: id, name, role, prefix, status, created, last used, expires'),
).action(async (opts) => process.exit(await (await import('./keys')).runKeysList(connected(opts))));

remote(
  keys
    .command('create')
    .description('Create a key and print it (shown once)')
    .requiredOption('--name <name>', 'who or what uses it, e.g. "appointments bot"')
    .requiredOption('--role <role>', 'viewer (read), sender (read and send) or admin (everything)')
    .option('--expires-in <duration>', 'stop working after 90m, 12h, 30d, 2w… (default: never)'),
).action(async (opts) => process.exit(await (await import('./keys')).runKeysCreate(connected(opts))));

remote(
  keys
    .command('revoke')
    .description('Revoke a key: refused within a second everywhere (never the last admin key)')
    .argument('<id>', 'key id (key_…), from `recontact keys list`'),
).action(async (id: string, opts) =>
  process.exit(await (await import('./keys')).runKeysRevoke(id, connected(opts))),
);

remote(
  keys
    .command('rotate')
    .description(
      'Replace a key by a new one (printed once) with the same name and role; the old one is revoked',
    )
    .argument('<id>', 'key id (key_…), from `recontact keys list`')
    .option(
      '--expires-in <duration>',
      'the new key stops working after 90m, 12h, 30d, 2w… (default: as long as the old one was given)',
    ),
).action(async (id: string, opts) =>
  process.exit(await (await import('./keys')).runKeysRotate(id, connected(opts))),
);

const users = program
  .command('users')
  .description(
    'People who sign in to the web app, on the database directly (DATABASE_URL): create the first admin here',
  );

/** The database of the deployment, as `recontact migrate` reads it. */
const usersDb = () => ({ databaseUrl: loadConfig().databaseUrl });

users
  .command('create')
  .description('Create a user; the password is asked without echo, or read from stdin with --password-stdin')
  .requiredOption('--username <name>', '1–64 of a–z, 0–9, . _ - @ (case is ignored)')
  .requiredOption('--role <role>', 'viewer (read), sender (read and send) or admin (everything, users too)')
  .option('--name <name>', 'display name, e.g. "Ana Pérez"')
  .option('--password-stdin', 'read the password from stdin (one line) instead of asking')
  .option('--json', 'machine-readable output')
  .action(async (opts) =>
    process.exit(await (await import('./users')).runUsersCreate({ ...opts, ...usersDb() })),
  );

users
  .command('list')
  .description('Every user: username, name, role, status, created, last sign-in')
  .option('--json', 'machine-readable output')
  .action(async (opts) =>
    process.exit(await (await import('./users')).runUsersList({ ...opts, ...usersDb() })),
  );

users
  .command('disable')
  .description('Stop a user from signing in; their sessions end (the user is kept, never deleted)')
  .argument('<username>', 'the username (or usr_… id)')
  .option('--json', 'machine-readable output')
  .action(async (username: string, opts) =>
    process.exit(await (await import('./users')).runUsersDisable(username, { ...opts, ...usersDb() })),
  );

users
  .command('enable')
  .description('Let a disabled user sign in again')
  .argument('<username>', 'the username (or usr_… id)')
  .option('--json', 'machine-readable output')
  .action(async (username: string, opts) =>
    process.exit(await (await import('./users')).runUsersDisable(username, { ...opts, ...usersDb() }, false)),
  );

users
  .command('password')
  .description("Set a user's password (asked without echo, or --password-stdin); their sessions end")
  .argument('<username>', 'the username (or usr_… id)')
  .option('--password-stdin', 'read the password from stdin (one line) instead of asking')
  .option('--json', 'machine-readable output')
  .action(async (username: string, opts) =>
    process.exit(await (await import('./users')).runUsersPassword(username, { ...opts, ...usersDb() })),
  );

program
  .command('secrets')
  .description('Credentials stored encrypted in the database (DATABASE_URL, RECONTACT_SECRET_KEY)')
  .command('rotate')
  .description(
    'Re-encrypt every stored credential with RECONTACT_SECRET_KEY, reading old values with RECONTACT_SECRET_KEY_PREVIOUS (see "Secrets at rest" in the README)',
  )
  .action(async () => process.exit(await (await import('./secrets')).rotateSecrets()));

program.parseAsync(process.argv).catch((err: unknown) => {
  const failure = describeFailure(err);
  if (failure.line) process.stderr.write(`${failure.line}\n`);
  process.exit(failure.exitCode);
});
