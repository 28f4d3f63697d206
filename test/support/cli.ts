/**
 * Runs the `recontact` command (or a shell line) as a separate process, as a person would, and
 * captures its output and exit code. The caller's RECONTACT_* variables are removed so a
 * developer's shell cannot change what a test sees.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of ['RECONTACT_URL', 'RECONTACT_API_KEY', 'SANDBOX_PORT']) delete env[k];
  return { ...env, ...extra };
}

function run(file: string, args: string[], env: Record<string, string>, timeoutMs: number) {
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: REPO_ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    // A generous bound: only a hung command should reach it, never a slow machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `node bin/recontact.js ARGS…` in the repository root. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) {
  return run(process.execPath, ['bin/recontact.js', ...args], env, timeoutMs);
}

/** A shell line (bash) in the repository root, e.g. a command copied from the README. */
export function runShell(line: string, env: Record<string, string> = {}, timeoutMs = 60_000) {
  return run('bash', ['-c', line], env, timeoutMs);
}
