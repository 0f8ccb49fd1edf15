import { GuardedPool, type PoolAdapter, type PooledSocket } from './guarded-pool.js';
import type { StatementResult } from './statement-result.js';

type Callback = (error: Error | null, result: unknown) => void;

/** The part of a mysql2 pool connection the runner uses. */
export interface MysqlConnection {
  query(sql: string, values: unknown[], callback: Callback): void;
  release(): void;
  destroy(): void;
  stream?: PooledSocket;
}

/** The part of a mysql2 pool the runner uses. */
export interface MysqlPool {
  getConnection(callback: (error: Error | null, connection: MysqlConnection) => void): void;
}

/** What a mysql2 callback's result becomes. */
function statementResult(result: unknown): StatementResult {
  if (Array.isArray(result)) return { records: result };
  return { affected: (result as { affectedRows?: number }).affectedRows };
}

/** A mysql2 pool whose statements time out, destroying their connection. */
export function guardMysqlPool(pool: MysqlPool, timeoutMs: number): GuardedPool<MysqlConnection> {
  const adapter: PoolAdapter<MysqlConnection> = {
    connect: (callback) => pool.getConnection(callback),
    query: (connection, sql, parameters, callback) =>
      connection.query(sql, parameters, (error, result) =>
        callback(error, error ? undefined : statementResult(result)),
      ),
    release: (connection) => connection.release(),
    destroy: (connection) => connection.destroy(),
    socket: (connection) => connection.stream,
  };
  return new GuardedPool(adapter, timeoutMs);
}
