import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnBatcher } from './turn-batcher.js';

/** A batcher that doubles numbers and records the groups it ran. */
function doubler(maxBatch = 100) {
  const groups: number[][] = [];
  const batcher = new TurnBatcher<number, number>(async (inputs) => {
    groups.push(inputs);
    return inputs.map((n) => n * 2);
  }, maxBatch);
  return { batcher, groups };
}

describe('TurnBatcher', () => {
  it('runs the calls of one turn as one group, each call getting its own output', async () => {
    const { batcher, groups } = doubler();
    expect(await Promise.all([batcher.add(1), batcher.add(2), batcher.add(3)])).toEqual([2, 4, 6]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('runs nothing before the turn ends', async () => {
    const { batcher, groups } = doubler();
    const pending = batcher.add(1);
    await Promise.resolve();
    expect(groups).toEqual([]);
    await pending;
    expect(groups).toEqual([[1]]);
  });

  it('starts a new group for calls made in a later turn', async () => {
    const { batcher, groups } = doubler();
    const first = batcher.add(1);
    await nextTurn();
    const second = batcher.add(2);
    expect(await Promise.all([first, second])).toEqual([2, 4]);
    expect(groups).toEqual([[1], [2]]);
  });

  it('splits a turn into groups of at most maxBatch, in order', async () => {
    const { batcher, groups } = doubler(2);
    const outputs = await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.add(n)));
    expect(outputs).toEqual([2, 4, 6, 8, 10]);
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects every call of a group that fails, and only those', async () => {
    const batcher = new TurnBatcher<number, number>(async (inputs) => {
      if (inputs.includes(3)) throw new Error('group failed');
      return inputs;
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('group failed'));
  });

  it('rejects the group when the batch function throws before returning a promise', async () => {
    const batcher = new TurnBatcher<number, number>(() => {
      throw new Error('sync failure');
    }, 10);
    await expect(batcher.add(1)).rejects.toThrow('sync failure');
  });
});
