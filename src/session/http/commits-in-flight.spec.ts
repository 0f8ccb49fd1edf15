import { CommitsInFlight } from './commits-in-flight.js';

describe('CommitsInFlight', () => {
  it('is settled at once when nothing is in flight', async () => {
    await expect(new CommitsInFlight().settled(10_000)).resolves.toBe(true);
  });

  it('settles every waiter when the last one in flight ends, not before', async () => {
    const inFlight = new CommitsInFlight();
    inFlight.begin();
    inFlight.begin();
    const settled: boolean[] = [];
    const waiters = [inFlight.settled(10_000), inFlight.settled(10_000)].map((waiting) =>
      waiting.then((value) => settled.push(value)),
    );
    inFlight.end();
    await Promise.resolve();
    expect(settled).toEqual([]);
    expect(inFlight.size).toBe(1);
    inFlight.end();
    await Promise.all(waiters);
    expect(settled).toEqual([true, true]);
  });

  it('gives up after its timeout, and a later end still settles the others', async () => {
    const inFlight = new CommitsInFlight();
    inFlight.begin();
    await expect(inFlight.settled(10)).resolves.toBe(false);
    const patient = inFlight.settled(10_000);
    inFlight.end();
    await expect(patient).resolves.toBe(true);
    expect(inFlight.size).toBe(0);
  });
});
