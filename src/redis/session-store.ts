import type { DataSource } from 'typeorm';
import {
  CachedSessionStore,
  RedisSessionStore,
  statementTimeoutFor,
  TypeOrmSessionStore,
  type RedisLike,
  type SessionModuleOptions,
  type SessionStore,
} from '../session/index.js';

/** Where the demo keeps sessions (`SESSION_STORE`): Django's `db`, `cache` and `cached_db` engines. */
export type SessionStoreKind = 'db' | 'cache' | 'cached_db';

export const SESSION_STORE_KINDS: readonly SessionStoreKind[] = ['db', 'cache', 'cached_db'];

/**
 * The store `kind` names: Redis alone, or the table with Redis in front; for the table alone,
 * `undefined`, which leaves `SessionModule` its own store on the default data source. Timeouts
 * follow `options.storeTimeout`, as `SessionModule` sets them for its own store.
 */
export function sessionStoreFor(
  kind: SessionStoreKind,
  dataSource: DataSource,
  redis: RedisLike | null,
  options: Pick<SessionModuleOptions, 'storeTimeout' | 'renewAfter'>,
): SessionStore | undefined {
  if (kind === 'db') return undefined;
  if (!redis) throw new Error(`SESSION_STORE=${kind} needs a Redis client`);
  const timeout = statementTimeoutFor(options.storeTimeout ?? 5_000);
  if (kind === 'cache') return new RedisSessionStore(redis, { commandTimeout: timeout });
  const table = new TypeOrmSessionStore(dataSource, {
    statementTimeout: timeout,
    renewedKeys: options.renewAfter !== undefined,
  });
  return new CachedSessionStore(table, redis);
}
