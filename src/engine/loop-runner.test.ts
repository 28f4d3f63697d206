import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopRunner } from './loop-runner';

/** A logger that keeps its lines, to count what an outage writes. */
function memoryLog() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino(
    { level: 'debug' },
    {
      write(s: string) {
        const o = JSON.parse(s) as { level: number; msg: string };
        lines.push({ level: o.level, msg: o.msg });
      },
    },
  );
  return { log, lines };
}

const until = async (what: string, probe: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('LoopRunner', () => {
  let runner: LoopRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
  });

  it('logs an outage once when it starts and once when it ends, however many passes fail', async () => {
    const { log, lines } = memoryLog();
    let failures = 6;
    let passes = 0;
    runner = new LoopRunner(
      'test-loop',
      log,
      async () => {
        passes++;
        if (failures-- > 0) throw new Error('database unavailable');
        return 0;
      },
      { idleMs: 5, errorBaseMs: 1, errorCapMs: 4, stallMs: 60_000 },
    );
    runner.start();
    await until('recovery', () => passes > 7);
    const errors = lines.filter((l) => l.level >= 50);
    const warns = lines.filter((l) => l.level === 40);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/test-loop: pass failed/);
    expect(warns.map((w) => w.msg)).toEqual(['test-loop: recovered']);
    expect(runner.failing).toBe(false);
  });

  it('goes again at once while passes find work, and waits when idle', async () => {
    const { log } = memoryLog();
    let work = 3;
    let passes = 0;
    runner = new LoopRunner(
      'busy',
      log,
      async () => {
        passes++;
        return work-- > 0 ? 1 : 0;
      },
      { idleMs: 60_000, errorBaseMs: 1, errorCapMs: 1, stallMs: 60_000 },
    );
    runner.start();
    await until('three busy passes and one idle', () => passes >= 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(passes).toBe(4); // idle now: the next pass waits for a wake-up or a minute
    runner.wake();
    await until('the pass a wake-up asked for', () => passes === 5);
  });

  it('reports a pass that stops making progress', async () => {
    const { log, lines } = memoryLog();
    let release: () => void = () => {};
    runner = new LoopRunner('stuck', log, () => new Promise<number>((r) => (release = () => r(0))), {
      idleMs: 5,
      errorBaseMs: 1,
      errorCapMs: 1,
      stallMs: 1,
    });
    runner.start();
    await until(
      'the stall report',
      () => lines.some((l) => /stuck: one pass has been running/.test(l.msg)),
      5_000,
    );
    release();
  });
});
