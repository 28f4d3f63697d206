/**
 * The README's examples run as written. Every ```sh block of "Using the API" and "Templates as
 * code" is read from README.md at test time, so an example someone edits is checked as edited.
 * Each command runs in bash from the repository root against a started Recontact, with these
 * stand-ins for what a person would have on their machine:
 *   - `localhost:3000` is the test's Recontact, `rk_…` and $RECONTACT_API_KEY its admin key
 *     (RECONTACT_URL and RECONTACT_API_KEY are set for the CLI);
 *   - `msg_01…` is the id of the message the section sent before, `whsec_…` the secret of the
 *     subscription made before, `127.0.0.1:4000` a free port for examples/bot-receiver.mjs;
 *   - `npx recontact` is `node bin/recontact.js`, the same file npx runs, without npm's start-up.
 * What must happen: a `# <status> …` comment line under a curl command is the HTTP status it must
 * answer (and, when it shows an error code, that code); any other curl must answer 2xx and any
 * other command exit 0. The receiver runs in the background and must print the reply event.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runShell } from '../support/cli';
import { EMILIA, type Harness, startHarness } from '../support/harness';

interface Command {
  line: string;
  /** From the comment under it: `# 409 {"error":{"code":"WINDOW_CLOSED"…` → 409, WINDOW_CLOSED. */
  status?: number;
  errorCode?: string;
}

const RUNNABLE_SECTIONS = ['Using the API', 'Templates as code'];

/**
 * True when the text ends a shell command: no quote left open, no trailing backslash. Quotes in a
 * trailing `# comment` do not count ("Meta's rules").
 */
function complete(text: string): boolean {
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
    } else if (quote === '"') {
      if (ch === '\\') i++;
      else if (ch === '"') quote = null;
    } else if (ch === '\\') {
      if (i === text.length - 1) return false;
      i++;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const eol = text.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
    }
  }
  return quote === null;
}

/** The commands of every ```sh block of a `## title` section, each with what it must answer. */
function sectionCommands(readme: string, title: string): Command[] {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: Command[] = [];
  for (const block of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    let pending = '';
    for (const raw of block[1]!.split('\n')) {
      if (pending === '') {
        const line = raw.trim();
        if (line === '') continue;
        if (line.startsWith('#')) {
          const expected = /^#\s+(\d{3})\b(.*)$/.exec(line);
          const last = commands.at(-1);
          if (expected && last && last.status === undefined) {
            last.status = Number(expected[1]);
            const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(expected[2]!);
            if (code) last.errorCode = code[1]!;
          }
          continue;
        }
      }
      pending += `${raw}\n`;
      if (complete(pending.trimEnd())) {
        commands.push({ line: pending.trimEnd() });
        pending = '';
      }
    }
    if (pending) throw new Error(`README.md, "${title}": unterminated command: ${pending}`);
  }
  return commands;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Makes curl print the HTTP status on a last line of its own, without changing the command. */
const CURL_STATUS = `curl() { command curl -w '\\n%{http_code}' "$@"; }\n`;

describe('README commands', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  let h: Harness;
  let receiverPort: number;
  const receivers: ChildProcess[] = [];
  let receiverOutput = '';
  // Values printed by earlier commands, standing in for the README's placeholders.
  const printed: { messageId?: string; secret?: string } = {};

  beforeAll(async () => {
    h = await startHarness('sqlite');
    receiverPort = await freePort();
  });
  afterAll(async () => {
    for (const r of receivers)
      if (r.pid !== undefined && r.exitCode === null) process.kill(-r.pid, 'SIGTERM');
    await h.close();
  });

  function substitute(line: string): string {
    const origin = new URL(h.url).host;
    let out = line
      .replaceAll('localhost:3000', origin)
      .replaceAll('rk_…', h.key)
      .replaceAll('127.0.0.1:4000', `127.0.0.1:${receiverPort}`)
      .replace(/(^|[;&|(]\s*)npx recontact\b/g, '$1node bin/recontact.js');
    if (out.includes('msg_01…')) {
      if (!printed.messageId) throw new Error(`"${line}" needs a message id, but no command before sent one`);
      out = out.replaceAll('msg_01…', printed.messageId);
    }
    if (out.includes('whsec_…')) {
      if (!printed.secret)
        throw new Error(`"${line}" needs a signing secret, but no command before made one`);
      out = out.replaceAll('whsec_…', printed.secret);
    }
    return out;
  }

  /** Starts the example receiver in the background and waits until it listens. */
  async function startReceiver(line: string): Promise<void> {
    // Its own process group, so that stopping it stops bash and node together.
    const child = spawn('bash', ['-c', line], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: String(receiverPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    receivers.push(child);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      receiverOutput += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      receiverOutput += d;
    });
    await h.waitFor(
      `the receiver to listen (${line})`,
      () => receiverOutput.includes('listening on'),
      30_000,
    );
  }

  async function runSection(title: string): Promise<void> {
    const commands = sectionCommands(readme, title);
    const env = { RECONTACT_URL: h.url, RECONTACT_API_KEY: h.key };
    for (const c of commands) {
      const line = substitute(c.line);
      if (/\bnode examples\/bot-receiver\.mjs\b/.test(line)) {
        await startReceiver(line);
        continue;
      }
      const r = await runShell(CURL_STATUS + line, env);
      const context = `${title}: ${c.line}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.code, context).toBe(0);
      if (/^curl\b/.test(c.line)) {
        const cut = r.stdout.lastIndexOf('\n');
        const status = Number(r.stdout.slice(cut + 1));
        const body = JSON.parse(r.stdout.slice(0, cut) || 'null');
        if (c.status !== undefined) expect(status, context).toBe(c.status);
        else expect(status >= 200 && status < 300, context).toBe(true);
        if (c.errorCode) expect(body?.error?.code, context).toBe(c.errorCode);
        if (typeof body?.id === 'string' && body.id.startsWith('msg_')) printed.messageId ??= body.id;
        if (typeof body?.secret === 'string') printed.secret = body.secret;
      } else {
        expect(r.stderr, context).toBe('');
      }
    }
  }

  it('finds the runnable blocks', () => {
    const api = sectionCommands(readme, 'Using the API');
    const templates = sectionCommands(readme, 'Templates as code');
    expect(api.filter((c) => c.line.startsWith('curl')).length).toBeGreaterThanOrEqual(5);
    expect(api.some((c) => c.status === 409 && c.errorCode === 'WINDOW_CLOSED')).toBe(true);
    expect(api.some((c) => c.line.includes('node examples/bot-receiver.mjs'))).toBe(true);
    expect(
      templates.filter((c) => c.line.startsWith('npx recontact templates')).length,
    ).toBeGreaterThanOrEqual(6);
  });

  it('runs them as written against a started Recontact, and the example receiver gets the reply', async () => {
    await Promise.all(RUNNABLE_SECTIONS.map(runSection));

    // The README sent Emilia the reminder; her tap must reach the example receiver, verified.
    const reminder = await h.waitFor('the reminder on the phone', () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'template'),
    );
    h.embedded.sandbox.users.tapButton(
      h.embedded.whatsapp.phoneNumberId,
      EMILIA.waId,
      reminder.wamid,
      'Confirmar',
    );
    await h
      .waitFor(
        'the receiver to print the reply',
        () => receiverOutput.includes('message.reply  payload=CONFIRM:appt-123'),
        30_000,
      )
      .catch((err: Error) => {
        const got = h.events.map((e) => e.type).join(', ');
        throw new Error(
          `${err.message}; the receiver printed: ${receiverOutput || '(nothing)'}; the test's own bot got: ${got}`,
        );
      });
    expect(receiverOutput).not.toContain('bad signature');
  }, 120_000);
});
