/**
 * The group commit alone, with a write that records its batches: items added in one turn share
 * one write and each gets its own result; a batch refused for one item is written again item by
 * item, so only that item fails; the database away fails the whole batch at once, with no second
 * try per item.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

class Away extends Error {}

function recorder(refuse: (batch: string[]) => Error | undefined) {
  const writes: string[][] = [];
  const commit = new GroupCommit<string, string>(
    async (batch) => {
      writes.push(batch);
      const err = refuse(batch);
      if (err) throw err;
      return batch.map((s) => s.toUpperCase());
    },
    (err) => err instanceof Away,
    3,
  );
  return { writes, commit };
}

describe('group commit', () => {
  it('writes the items of one turn together, at most maxBatch a write, each with its result', async () => {
    const { writes, commit } = recorder(() => undefined);
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((s) => commit.add(s)));
    expect(results).toEqual(['A', 'B', 'C', 'D']);
    expect(writes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('fails only the item a batch was refused for, the others written one by one', async () => {
    const { writes, commit } = recorder((batch) => (batch.includes('bad') ? new Error('taken') : undefined));
    const settled = await Promise.allSettled(['a', 'bad', 'c'].map((s) => commit.add(s)));
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'A',
      'taken',
      'C',
    ]);
    expect(writes).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('fails the whole batch at once while the database is away', async () => {
    const { writes, commit } = recorder(() => new Away('gone'));
    const settled = await Promise.allSettled(['a', 'b'].map((s) => commit.add(s)));
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(writes).toEqual([['a', 'b']]);
  });
});
