import { randomBytes } from 'node:crypto';
import {
  type SessionCounts,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type UserSessionRow,
} from '../session-store.interface.js';
import { CacheGuard } from './cache-guard.js';
import type { RedisLike } from './redis-clients.js';
import { hashReply, RedisConnection } from './redis-connection.js';
import { rowArgs, storedFromHash, updateArgs } from './redis-row.js';
import { CACHE_FILL, CACHE_READ, CACHE_UPDATE, CREATE_ROW } from './redis-scripts.js';
import type { CachedSessionStoreOptions } from './redis-store-options.js';

/**
 * Lease tokens: unique across processes (a random part drawn once per process) and within one
 * (a counter), so that a read costs no call into the random source.
 */
const LEASE_PREFIX = randomBytes(9).toString('base64url');
let leases = 0;

/** How long a reader's lease on a missing row lasts: its read of the primary and its fill. */
const LEASE_MS = 10_000;

/**
 * A primary store (the `TypeOrmSessionStore`) with Redis in front, as Django's `cached_db`
 * engine: reads come from Redis and, on a miss, from the primary, which then fills the cache;
 * writes go to the primary first, which alone decides whether a version still holds, then to
 * the cache.
 *
 * The cache never holds a row older than the primary's, across any number of processes: a write
 * moves the cached row along only from the version it replaced and otherwise drops it, and a
 * fill lands only while the lease its reader took on the miss is still there, which every write
 * removes. A cache that fails or does not answer within `operationTimeout` is logged and
 * bypassed; a row a write could not invalidate is not read from the cache by this process until
 * the invalidation, retried in the background, goes through, and other processes read it for at
 * most `cacheTimeout`.
 * @public
 */
export class CachedSessionStore implements SessionStore {
  readonly listByUser?: (userId: string, now?: Date) => Promise<UserSessionRow[]>;
  readonly clearExpiredInBatches?: (now: Date, batchSize: number) => AsyncIterable<number>;
  readonly checkReady?: () => Promise<void>;
  readonly renew?: SessionStore['renew'];

  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly cacheTimeoutMs: number;
  private readonly guard: CacheGuard;
  private readonly closeClient: boolean;

  constructor(
    private readonly primary: SessionStore,
    redis: RedisLike,
    options: CachedSessionStoreOptions = {},
  ) {
    this.redis = new RedisConnection(redis, options.operationTimeout ?? 250);
    this.prefix = options.prefix ?? 'session-cache:';
    this.cacheTimeoutMs = (options.cacheTimeout ?? 300) * 1000;
    this.closeClient = options.closeClient ?? true;
    this.guard = new CacheGuard(
      (keys) => this.drop(keys),
      () => this.dropAll(),
    );
    this.redis.onError((error) => this.guard.failed(error));
    if (primary.listByUser) this.listByUser = primary.listByUser.bind(primary);
    if (primary.clearExpiredInBatches) this.clearExpiredInBatches = primary.clearExpiredInBatches.bind(primary);
    if (primary.checkReady) this.checkReady = primary.checkReady.bind(primary);
    if (primary.renew) {
      const renew = primary.renew.bind(primary);
      this.renew = async (key, renewal) => {
        const renewed = await renew(key, renewal);
        if (renewed) await this.invalidate(key);
        return renewed;
      };
    }
  }

  async load(key: string, alias?: string): Promise<StoredSession | undefined> {
    if (!this.guard.mayRead(key)) return this.primary.load(key, alias);
    const lease = `${LEASE_PREFIX}${++leases}`;
    let cached: Record<string, string>;
    try {
      cached = hashReply(await this.cache(CACHE_READ, key, [lease, String(LEASE_MS)]));
    } catch (error) {
      this.guard.failed(error);
      return this.primary.load(key, alias);
    }
    const hit = storedFromHash(cached, Date.now());
    if (hit) return hit;
    const row = await this.primary.load(key, alias);
    // An empty reply is the lease just taken; a lease of another reader's is left to it.
    const leased = Object.keys(cached).length === 0;
    if (leased && row && row.key === undefined) {
      this.cache(CACHE_FILL, key, [lease, ...rowArgs(row), this.cacheExpiry(row.expiresAt)]).catch((error: unknown) =>
        this.guard.failed(error),
      );
    }
    return row;
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    await this.primary.create(key, record);
    // A new key: nothing older can be cached under it, so a failure here costs a miss only.
    const args = [...rowArgs({ ...record, version: 0 }), this.cacheExpiry(record.expiresAt)];
    await this.cache(CREATE_ROW, key, args).catch((error: unknown) => this.guard.failed(error));
  }

  async update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    const updated = await this.primary.update(key, record, version);
    if (!updated) {
      await this.invalidate(key);
      return false;
    }
    const args = [...updateArgs(record, version), this.cacheExpiry(record.expiresAt)];
    await this.cache(CACHE_UPDATE, key, args).catch((error: unknown) => this.guard.owe(key, error));
    return true;
  }

  async delete(key: string, version?: number): Promise<boolean> {
    const deleted = await this.primary.delete(key, version);
    await this.invalidate(key);
    return deleted;
  }

  exists(key: string): Promise<boolean> {
    return this.primary.exists(key);
  }

  clearExpired(now?: Date, limit?: number): Promise<number> {
    return this.primary.clearExpired(now, limit);
  }

  count(now?: Date): Promise<SessionCounts> {
    return this.primary.count(now);
  }

  /**
   * Stops retrying invalidations and closes the Redis client, unless `closeClient` is off, and
   * the primary: `SessionModule` calls it after the last save.
   */
  async close(): Promise<void> {
    this.guard.stop();
    if (this.closeClient) await this.redis.close();
    await this.primary.close?.();
  }

  /** Drops the cached row of `key`, or, when Redis fails, keeps it from being read until it can. */
  private async invalidate(key: string): Promise<void> {
    await this.drop([key]).catch((error: unknown) => this.guard.owe(key, error));
  }

  private async drop(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.redis.send(this.cacheKey(key), ['DEL', this.cacheKey(key)])));
  }

  private async dropAll(): Promise<void> {
    for await (const keys of this.redis.scan(`${this.prefix}*`)) {
      await Promise.all(keys.map((key) => this.redis.send(key, ['DEL', key])));
    }
  }

  private cache(script: Parameters<RedisConnection['run']>[0], key: string, args: string[]): Promise<unknown> {
    return this.redis.run(script, [this.cacheKey(key)], args);
  }

  /** When Redis drops a cached row: at its session's expiry, or after `cacheTimeout`. */
  private cacheExpiry(expiresAt: Date): string {
    return String(Math.min(expiresAt.getTime(), Date.now() + this.cacheTimeoutMs));
  }

  private cacheKey(key: string): string {
    return this.prefix + key;
  }
}
