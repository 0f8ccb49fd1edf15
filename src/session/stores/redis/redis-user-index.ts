import type { SessionRecord, UserSessionRow } from '../session-store.interface.js';
import { checkNoEviction } from './eviction-policy.js';
import type { RedisConnection } from './redis-connection.js';
import { storedFromHash, type RowHash } from './redis-row.js';
import { INDEX_SESSION } from './redis-scripts.js';

/**
 * The sessions of each user: a sorted set per user (`<prefix>user:<user id>`) of session keys,
 * scored by expiry, written before the rows it points to so that it never misses one of them.
 * Entries whose row is gone, expired or now someone else's are dropped when the set is next
 * written or listed, and by {@link trimExpired}.
 */
export class RedisUserIndex {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  /** Puts the row `key` into its user's set, if `record` is bound to one, ahead of the row's write. */
  async add(key: string, record: SessionRecord): Promise<void> {
    const userId = record.info?.userId;
    if (!userId) return;
    const args = [String(record.expiresAt.getTime()), key, String(Date.now())];
    await this.redis.run(INDEX_SESSION, [this.setKey(userId)], args);
  }

  async remove(userId: string, key: string): Promise<void> {
    await this.redis.send(this.setKey(userId), ['ZREM', this.setKey(userId), key]);
  }

  /**
   * The live rows of `userId`, read through `hash`; throws, as the store's `checkReady()` does,
   * rather than list from a set Redis may have evicted.
   */
  async list(userId: string, now: Date, hash: (key: string) => Promise<RowHash>): Promise<UserSessionRow[]> {
    const index = this.setKey(userId);
    const [keys] = (await Promise.all([
      this.redis.send(index, ['ZRANGE', index, `(${now.getTime()}`, '+inf', 'BYSCORE'], true),
      checkNoEviction(this.redis),
    ])) as [string[], void];
    const hashes = await Promise.all(keys.map(hash));
    const rows: UserSessionRow[] = [];
    const stale: string[] = [];
    hashes.forEach((row, i) => {
      const stored = storedFromHash(row, now.getTime());
      if (stored?.info?.userId === userId) rows.push({ ...stored, key: keys[i] });
      else stale.push(keys[i]);
    });
    if (stale.length) await this.redis.send(index, ['ZREM', index, ...stale]);
    return rows;
  }

  /** Drops the entries of every set whose sessions expired by `now`. */
  async trimExpired(now: Date): Promise<void> {
    for await (const keys of this.redis.scan(`${this.prefix}user:*`)) {
      await Promise.all(
        keys.map((key) => this.redis.send(key, ['ZREMRANGEBYSCORE', key, '-inf', String(now.getTime())])),
      );
    }
  }

  /** Whether the Redis key `key` is a user's set rather than a row. */
  holds(key: string): boolean {
    return key.startsWith(`${this.prefix}user:`);
  }

  private setKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }
}
