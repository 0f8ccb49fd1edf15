import type { SessionEntityClass } from './session.entity.js';

/**
 * Options of `TypeOrmSessionStore`.
 * @public
 */
export interface TypeOrmSessionStoreOptions {
  /**
   * The sessions entity to use (`SessionEntity`, or one of `sessionTable()`). Default: the one
   * such entity among the data source's entities; needed only when it has several.
   */
  entity?: SessionEntityClass;
  /**
   * Whether loads also find a row by the key a renewal (`renewAfter`) replaced, while its grace
   * lasts. Default `true`; `SessionModule` turns it off when `renewAfter` is off, so that a load
   * looks at the key alone.
   */
  renewedKeys?: boolean;
  /**
   * Whether loads and inserts that start in the same turn of the event loop go to the database
   * together, as one statement each (see `TurnBatcher`); on MySQL/MariaDB (in one transaction)
   * and PostgreSQL updates too. Default: on, except for SQLite, which runs in process and gains
   * nothing from it.
   */
  batching?: boolean;
  /**
   * Milliseconds a statement may go unanswered before it fails and, on MySQL/MariaDB and
   * PostgreSQL, its connection is closed and replaced. `SessionModule` sets it a little under its
   * `storeTimeout` (see `statementTimeoutFor`); do the same for a store you make yourself.
   * Default 4750.
   */
  statementTimeout?: number;
}

/**
 * A little under `storeTimeout`: a statement's connection is closed before its request is
 * answered 503, so that nothing of it still unsent goes out after that answer.
 * @public
 */
export function statementTimeoutFor(storeTimeout: number): number {
  return Math.max(1, storeTimeout - Math.min(250, Math.ceil(storeTimeout / 10)));
}

/** `statementTimeout` unless given: a little under the default `storeTimeout` of 5000. */
export const DEFAULT_STATEMENT_TIMEOUT = 4_750;
