import { Logger } from '@nestjs/common';
import {
  nextSessionVersion,
  SessionKeyTakenError,
  type SessionCounts,
  type SessionRecord,
  type SessionRenewal,
  type SessionStore,
  type StoredSession,
  type UserSessionRow,
} from '../session-store.interface.js';
import { DEFAULT_STATEMENT_TIMEOUT } from '../typeorm/store-options.js';
import { checkNoEviction } from './eviction-policy.js';
import type { RedisLike } from './redis-clients.js';
import { hashReply, RedisConnection } from './redis-connection.js';
import { decodeInfo, rowArgs, storedFromHash, updateArgs, type RowHash } from './redis-row.js';
import { CREATE_ROW, DELETE_ROW, POINT_TO_ROW, UPDATE_ROW } from './redis-scripts.js';
import { RedisUserIndex } from './redis-user-index.js';
import type { RedisSessionStoreOptions } from './redis-store-options.js';

// Connection errors repeat on every reconnection attempt; one line per this many ms is enough.
const ERROR_LOG_INTERVAL = 10_000;

/**
 * Keeps sessions in Redis only, as Django's `cache` session engine does: fast, and gone when
 * Redis loses its data. Works on a single Redis and on a Redis Cluster, through a connected
 * node-redis client (`createClient()` or `createCluster()` of the `redis` package).
 *
 * Each row is a hash that Redis expires itself at the session's expiry. Creates and versioned
 * updates are Lua scripts, so that the check and the write are one atomic step. The sessions of
 * a user are a sorted set per user ({@link RedisUserIndex}).
 *
 * Redis must not evict keys (`maxmemory-policy noeviction`): an evicted index would hide live
 * sessions from listing and revoking. The store refuses to start on any other policy, and each
 * listing checks it again, as it can be changed while the app runs.
 * @public
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly users: RedisUserIndex;
  private readonly logger = new Logger('RedisSessionStore');
  private lastErrorLog = 0;
  private readonly closeClient: boolean;

  constructor(redis: RedisLike, options: RedisSessionStoreOptions = {}) {
    this.redis = new RedisConnection(redis, options.commandTimeout ?? DEFAULT_STATEMENT_TIMEOUT);
    this.prefix = options.prefix ?? 'session:';
    this.users = new RedisUserIndex(this.redis, this.prefix);
    this.closeClient = options.closeClient ?? true;
    this.redis.onError((error) => this.logConnectionError(error));
  }

  async load(key: string, alias?: string): Promise<StoredSession | undefined> {
    const row = storedFromHash(await this.hash(key), Date.now());
    if (row || alias === undefined) return row;
    // Perhaps a key in its grace after a renewal: its alias names the key the row moved to.
    const movedTo = (await this.hash(alias)).m;
    if (movedTo === undefined) return undefined;
    const stored = storedFromHash(await this.hash(movedTo), Date.now());
    return stored && { ...stored, key: movedTo };
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    await this.users.add(key, record);
    const created = await this.redis.run(CREATE_ROW, [this.rowKey(key)], rowArgs({ ...record, version: 0 }));
    if (created !== 1) throw new SessionKeyTakenError();
  }

  async update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    await this.users.add(key, record);
    return (await this.redis.run(UPDATE_ROW, [this.rowKey(key)], updateArgs(record, version))) === 1;
  }

  async delete(key: string, version?: number): Promise<boolean> {
    const removed = await this.redis.run(
      DELETE_ROW,
      [this.rowKey(key)],
      [version === undefined ? '' : String(version)],
    );
    // The removed row's info ('' without one), or nil when no row went.
    if (typeof removed !== 'string') return false;
    const userId = decodeInfo(removed)?.userId;
    if (userId) await this.users.remove(userId, key);
    return true;
  }

  /** Whether `key` holds a live row (a key in its grace after a renewal holds none). */
  async exists(key: string): Promise<boolean> {
    return storedFromHash(await this.hash(key), Date.now()) !== undefined;
  }

  /**
   * Redis removes rows at their expiry itself, so no row is left to clear (the result is 0);
   * this drops the entries of the user indexes whose sessions have expired.
   */
  async clearExpired(now: Date = new Date()): Promise<number> {
    await this.users.trimExpired(now);
    return 0;
  }

  /** Live rows by a walk of the keys (for the `clearsessions` report); expired ones are already gone. */
  async count(now: Date = new Date()): Promise<SessionCounts> {
    let live = 0;
    for await (const keys of this.redis.scan(`${this.prefix}*`)) {
      const rows = keys.filter((key) => !this.users.holds(key));
      const expiries = await Promise.all(rows.map((key) => this.redis.send(key, ['HMGET', key, 'e', 'v'], true)));
      for (const [expiry, version] of expiries as [string | null, string | null][]) {
        if (version !== null && Number(expiry) > now.getTime()) live++;
      }
    }
    return { live, expired: 0 };
  }

  /** Throws, naming the policy and what to do, unless Redis runs with `maxmemory-policy noeviction`. */
  checkReady(): Promise<void> {
    return checkNoEviction(this.redis);
  }

  /** Throws as {@link checkReady} does, rather than list from an index Redis may have evicted. */
  listByUser(userId: string, now: Date = new Date()): Promise<UserSessionRow[]> {
    return this.users.list(userId, now, (key) => this.hash(key));
  }

  /**
   * Writes the row under `newKey` and a pointer to it under `alias` (gone at the end of the
   * grace), then deletes the row `key` if it is still at `version`; when it is not, the new row
   * and the pointer go again. The keys may live on different nodes of a cluster, hence steps; a
   * process that stops between them leaves a row no cookie names, which expires.
   */
  async renew(key: string, { newKey, record, version, graceUntil, alias }: SessionRenewal): Promise<boolean> {
    const current = await this.hash(key);
    if (current.v !== String(version)) return false;
    const renewed = { ...record, info: decodeInfo(current.i) };
    await this.users.add(newKey, renewed);
    const args = rowArgs({ ...renewed, version: nextSessionVersion(version), keyIssuedAt: new Date() });
    if ((await this.redis.run(CREATE_ROW, [this.rowKey(newKey)], args)) !== 1) return false;
    const pointer = this.rowKey(alias);
    await this.redis.run(POINT_TO_ROW, [pointer], [newKey, String(graceUntil.getTime())]);
    const retired = await this.redis.run(DELETE_ROW, [this.rowKey(key)], [String(version)]);
    if (typeof retired === 'string') return true;
    await Promise.all([pointer, this.rowKey(newKey)].map((gone) => this.redis.send(gone, ['DEL', gone])));
    return false;
  }

  /** Closes the client, unless `closeClient` is off: `SessionModule` calls it after the last save. */
  async close(): Promise<void> {
    if (this.closeClient) await this.redis.close();
  }

  private async hash(key: string): Promise<RowHash> {
    const rowKey = this.rowKey(key);
    return hashReply(await this.redis.send(rowKey, ['HGETALL', rowKey], true));
  }

  private rowKey(key: string): string {
    return this.prefix + key;
  }

  private logConnectionError(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL) return;
    this.lastErrorLog = now;
    this.logger.error(`Redis connection: ${error?.message ?? String(error)}`);
  }
}
