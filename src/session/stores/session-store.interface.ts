/**
 * What a row tells of its session beside the data, for the sessions of a user: whom it is bound
 * to, when it began (created, or its key cycled by a login), when it was last saved, and from
 * which client.
 * @public
 */
export interface SessionInfo {
  /** The user the session is bound to (`user_id`, indexed), or `null`. */
  userId: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/**
 * A live session row as a store returns it.
 * @public
 */
export interface StoredSession {
  /** The signed, encoded dictionary (`session_data`). */
  data: string;
  /** When the row stops being live (`expire_date`). */
  expiresAt: Date;
  /** Raised by every update (see {@link nextSessionVersion}); what `update()` expects to find. */
  version: number;
  /** The row's {@link SessionInfo}, where the store keeps it (rows written before it have none). */
  info?: SessionInfo;
  /**
   * The row's key, when it is not the one asked for: a renewal gave the row a new key, and the
   * old one still answers during its grace (see `renew()`).
   */
  key?: string;
  /** When a renewal issued the row's key; absent while it is the key the session began with. */
  keyIssuedAt?: Date;
}

/**
 * A live session row of a user, as `listByUser()` returns it.
 * @public
 */
export interface UserSessionRow extends StoredSession {
  key: string;
}

/**
 * How many rows a store holds, by state at a given time.
 * @public
 */
export interface SessionCounts {
  live: number;
  expired: number;
}

/**
 * A renewal of a row's key, as `renew()` takes it: the new key, the row signed for it, the
 * version the row must be at, the end of the old key's grace, and the alias the row answers to
 * meanwhile.
 * @public
 */
export interface SessionRenewal {
  newKey: string;
  record: SessionRecord;
  version: number;
  graceUntil: Date;
  alias: string;
}

/**
 * A session row as a store writes it.
 * @public
 */
export interface SessionRecord {
  data: string;
  /** When the row stops being live (`expire_date`). */
  expiresAt: Date;
  /** Kept beside the data by stores that support the sessions of a user. */
  info?: SessionInfo;
}

/**
 * Where sessions are kept: Django's session backend contract. Writes are either "create" or
 * "update", never a blind upsert, so a store can refuse a write that would overwrite a row it
 * should not.
 *
 * The interface doubles as its DI token ({@link SessionStore} the symbol).
 * @public
 */
export interface SessionStore {
  /**
   * The live session under `key`; `undefined` when there is none or it has expired. With
   * `alias`, when no row holds `key`, the row a renewal left answering to `alias` while its grace
   * lasts (see `renew()`), with its own `key` set.
   */
  load(key: string, alias?: string): Promise<StoredSession | undefined>;
  /**
   * Inserts a new row, at version 0. Rejects with {@link SessionKeyTakenError} when a row (live
   * or expired) already holds `key`, and stores nothing in that case.
   */
  create(key: string, record: SessionRecord): Promise<void>;
  /**
   * Overwrites the row under `key` if it is still at `version`, setting its version to
   * {@link nextSessionVersion}`(version)`. Resolves `false`, writing nothing, when the row is
   * gone or another save got there first.
   */
  update(key: string, record: SessionRecord, version: number): Promise<boolean>;
  /**
   * Removes the row under `key`, if any — when `version` is given, only if the row is still at
   * that version. Resolves whether a row was removed.
   */
  delete(key: string, version?: number): Promise<boolean>;
  /** Whether a live row holds `key`. */
  exists(key: string): Promise<boolean>;
  /**
   * Removes rows expired at `now` — all of them, or at most `limit` in one short statement, so
   * that a large cleanup can go in batches without holding locks for long. Resolves how many
   * went.
   */
  clearExpired(now?: Date, limit?: number): Promise<number>;
  /** How many rows are live and how many expired at `now`. */
  count(now?: Date): Promise<SessionCounts>;
  /**
   * Removes every row expired at `now` in short statements of about `batchSize` rows, yielding
   * how many each removed. Optional: without it, callers loop over `clearExpired(now, batchSize)`.
   * A store implements it where it knows a cheaper walk than the `expire_date` index.
   */
  clearExpiredInBatches?(now: Date, batchSize: number): AsyncIterable<number>;
  /**
   * The live rows bound to `userId` (their `info.userId`). Optional: a store without it keeps no
   * user index, and `SessionsService`'s per-user methods refuse to run on it.
   */
  listByUser?(userId: string, now?: Date): Promise<UserSessionRow[]>;
  /**
   * Gives the row `key`, while it is at the renewal's `version`, the key `newKey` and the data
   * and expiry of `record` (its data signed for both), raising its version; until `graceUntil`,
   * `load()` given `alias` finds the row. `alias` is opaque to the store: a keyed hash of `key` that only the
   * app can compute, so the store must keep it as given and never answer to `key` itself.
   * Resolves `false`, changing nothing, when the row is gone or moved on. Optional: without it,
   * `renewAfter` cannot be used.
   */
  renew?(key: string, renewal: SessionRenewal): Promise<boolean>;
  /**
   * Throws when the store cannot work, so that the app says so at start (`SessionModule` calls it
   * once the app has bootstrapped): the TypeORM store's table is missing, say. Optional.
   */
  checkReady?(): Promise<void>;
  /**
   * Closes what the store holds open, once the app's last session is saved (`SessionModule` calls
   * it at shutdown, after waiting for the responses still committing). Optional.
   */
  close?(): Promise<void>;
}

/**
 * The highest version a row reaches before it starts again at 0 (the largest signed 32-bit integer).
 * @public
 */
export const MAX_SESSION_VERSION = 2_147_483_647;

/**
 * The version a row has after an update of one at `version`: one more, and 0 after
 * {@link MAX_SESSION_VERSION}, so that a counter never overflows its column. A save compares
 * versions for equality only, which a wrap does not break.
 * @public
 */
export function nextSessionVersion(version: number): number {
  return version >= MAX_SESSION_VERSION ? 0 : version + 1;
}

/** DI token of the {@link SessionStore} in use. */
export const SessionStore = Symbol('SessionStore');

/**
 * A `create()` hit a key that is already stored (Django's `CreateError`).
 * @public
 */
export class SessionKeyTakenError extends Error {
  override name = 'SessionKeyTakenError';
  constructor() {
    super('A session with this key already exists');
  }
}
