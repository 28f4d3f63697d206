import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Recontact's entry point, as the benches name it; it runs the way `npm start` runs it. */
const RECONTACT = 'src/cli/main.ts';
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? startFlags()).split(' ').filter(Boolean);
let built = false;

/** The V8 flags `npm start` gives Node (package.json), so the benches measure what users run. */
function startFlags(): string {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  const m = /^node ((?:--\S+ )*)bin\/recontact\.js/.exec(pkg.scripts.start);
  if (!m)
    throw new Error(
      `package.json's start script no longer runs "node [flags] bin/recontact.js": ${pkg.scripts.start}`,
    );
  return m[1]!.trim();
}

/** The command line of a process: Recontact through bin/recontact.js, on a bundle of today's sources. */
function commandLine(args: string[], nodeArgs: string[]): string[] {
  if (args[0] !== RECONTACT) return [...nodeArgs, '--import', 'tsx', ...args];
  if (!built) {
    execFileSync(process.execPath, ['scripts/build-server.mjs', '--quiet'], { stdio: 'inherit' });
    built = true;
  }
  return [...NODE_FLAGS, ...nodeArgs, 'bin/recontact.js', ...args.slice(1)];
}

export interface Proc {
  child: ChildProcess;
  url: string;
  peakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * Starts a TypeScript entry point in its own Node process (with `nodeArgs`, e.g. --cpu-prof, which
 * NODE_OPTIONS refuses) and waits for the line that names its URL.
 */
export function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  nodeArgs: string[] = [],
): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, commandLine(args, nodeArgs), {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = ready.exec(buf);
      if (m) {
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({
          child,
          url: m[1]!,
          peakRssMb: () => peakRss(child.pid!),
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
            }),
        });
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)),
    );
  });
}

/** VmHWM: the resident set's high-water mark, in MB. */
export function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds a process has used so far (user + system, all its threads), from /proc. CPU per
 * message is steadier than a rate on a shared machine: a neighbour's load slows the clock, not
 * the work.
 */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds used so far by PostgreSQL's server processes on this machine (the postmaster, its
 * backends and its background workers), from /proc: the database's share of the two cores, which
 * a client-side figure does not show. A backend that has exited (a pool closing an idle
 * connection, an autovacuum worker) counts too: Linux adds its time to the postmaster's
 * children's time when the postmaster reaps it. NaN where /proc is not there.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  let seen = false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return Number.NaN;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      // utime, stime, then cutime and cstime: the time of its children it has waited for.
      const f = stat.split(') ')[1]!.split(' ');
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLOCK_TICKS_PER_SECOND;
      seen = true;
    } catch {
      // Gone between the listing and the read.
    }
  }
  return seen ? total : Number.NaN;
}

/** USER_HZ: what Linux counts /proc CPU times in, 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
