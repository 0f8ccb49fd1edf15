import { GuardedPool, type PoolAdapter, type PooledSocket } from './guarded-pool.js';

interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

/** The part of a pg client, checked out of its pool, that the runner uses. */
export interface PostgresClient {
  query(sql: string, values: unknown[], callback: (error: Error | null, result: PgResult) => void): void;
  /** Given an error (or `true`), the pool closes the client instead of keeping it. */
  release(destroy?: boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  connection?: { stream?: PooledSocket };
}

/** The part of a pg pool the runner uses. */
export interface PostgresPool {
  connect(callback: (error: Error | null, client: PostgresClient | undefined) => void): void;
}

/** A pg pool whose statements time out, destroying their connection. */
export function guardPostgresPool(pool: PostgresPool, timeoutMs: number): GuardedPool<PostgresClient> {
  const listened = new WeakSet<PostgresClient>();
  const adapter: PoolAdapter<PostgresClient> = {
    connect: (callback) =>
      pool.connect((error, client) => {
        // A checked-out client emits the errors of its socket; the pool listens only while it is
        // idle, and an error with no listener would end the process. The statement's own
        // callback gets the error too, and the pool drops the client once it is released.
        if (client && !listened.has(client)) {
          client.on('error', () => undefined);
          listened.add(client);
        }
        callback(error, client);
      }),
    query: (client, sql, parameters, callback) =>
      client.query(sql, parameters, (error, result) =>
        callback(error, error ? undefined : { records: result.rows, affected: result.rowCount ?? undefined }),
      ),
    release: (client) => client.release(),
    destroy: (client) => client.release(true),
    socket: (client) => client.connection?.stream,
  };
  return new GuardedPool(adapter, timeoutMs);
}
