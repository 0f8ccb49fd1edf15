import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineWatch } from './deadline-watch.js';

const never = () => new Promise<never>(() => {});

describe('DeadlineWatch', () => {
  const watch = new DeadlineWatch(40, () => new Error('too slow'));

  it('passes on a value that comes in time', async () => {
    await expect(watch.watch(sleep(5).then(() => 'value'))).resolves.toBe('value');
  });

  it('passes on a failure that comes in time', async () => {
    await expect(watch.watch(Promise.reject(new Error('store down')))).rejects.toThrow('store down');
  });

  it('fails a promise still pending at its deadline, not before', async () => {
    const started = performance.now();
    await expect(watch.watch(never())).rejects.toThrow('too slow');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(39);
    expect(waited).toBeLessThan(1_000); // generous: timers run late on a busy machine
  });

  it('times each promise from its own start', async () => {
    const first = watch.watch(never()).catch(() => performance.now());
    await sleep(25);
    const secondStarted = performance.now();
    const second = watch.watch(never()).catch(() => performance.now());
    const [firstFailed, secondFailed] = await Promise.all([first, second]);
    expect(secondFailed - secondStarted).toBeGreaterThanOrEqual(39);
    expect(firstFailed).toBeLessThanOrEqual(secondFailed);
  });

  it('keeps track of the rest when calls settle in any order', async () => {
    const settle: ((value: string) => void)[] = [];
    const calls = [0, 1, 2, 3].map(() => watch.watch(new Promise<string>((resolve) => settle.push(resolve))));
    settle[2]('third');
    settle[0]('first');
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      'first',
      'too slow',
      'third',
      'too slow',
    ]);
  });

  it('keeps working after it went idle', async () => {
    await sleep(60);
    await expect(watch.watch(never())).rejects.toThrow('too slow');
    await expect(watch.watch(Promise.resolve(1))).resolves.toBe(1);
  });
});
