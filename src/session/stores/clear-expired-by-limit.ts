import type { SessionStore } from './session-store.interface.js';

/**
 * Deletes rows expired at `now` through repeated `clearExpired(now, batchSize)` calls until one
 * removes fewer than a full batch, yielding how many each removed.
 */
export async function* clearExpiredByLimit(
  store: Pick<SessionStore, 'clearExpired'>,
  now: Date,
  batchSize: number,
): AsyncIterable<number> {
  for (;;) {
    const removed = await store.clearExpired(now, batchSize);
    yield removed;
    if (removed < batchSize) return;
  }
}
