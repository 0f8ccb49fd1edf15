// The options of the two Redis stores.

/**
 * Options of `RedisSessionStore`.
 * @public
 */
export interface RedisSessionStoreOptions {
  /**
   * Put before every key the store writes: `<prefix><session key>` for a session,
   * `<prefix>user:<user id>` for the index of a user's sessions. Default `'session:'`.
   */
  prefix?: string;
  /**
   * Milliseconds a command may go unanswered before it fails and the client's connection is
   * replaced. Keep it a little under `storeTimeout` (see `statementTimeoutFor`). Default 4750.
   */
  commandTimeout?: number;
  /**
   * Whether the store closes the client when the app shuts down (`close()`, which `SessionModule`
   * calls after the last save). Default `true`; `false` leaves it to its owner.
   */
  closeClient?: boolean;
}

/**
 * Options of `CachedSessionStore`.
 * @public
 */
export interface CachedSessionStoreOptions {
  /** Put before the session key of every cached row. Default `'session-cache:'`. */
  prefix?: string;
  /**
   * Seconds a row stays in the cache at most (it leaves earlier when its session expires):
   * how long a row a cut-off process could not invalidate may still be read by the others.
   * Default 300.
   */
  cacheTimeout?: number;
  /**
   * Milliseconds a cache call may take before the primary store answers without it (and the
   * client's connection is replaced). Keep it well under `storeTimeout`. Default 250.
   */
  operationTimeout?: number;
  /**
   * Whether the store closes the Redis client when the app shuts down (`close()`, which
   * `SessionModule` calls after the last save). Default `true`; `false` leaves it to its owner.
   */
  closeClient?: boolean;
}
