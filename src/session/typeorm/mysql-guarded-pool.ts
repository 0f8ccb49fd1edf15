import { DeadlineWatch } from '../deadline-watch.js';
import type { StatementResult, StatementRunner } from './statement-result.js';

type Callback = (error: Error | null, result: unknown) => void;

/** The part of a mysql2 pool connection the runner uses. */
export interface MysqlConnection {
  query(sql: string, values: unknown[], callback: Callback): void;
  release(): void;
  destroy(): void;
  stream?: { setKeepAlive?(enable: boolean, initialDelay: number): void; destroy?(): void };
}

/** The part of a mysql2 pool the runner uses. */
export interface MysqlPool {
  query(sql: string, values: unknown[], callback: Callback): void;
  getConnection(callback: (error: Error | null, connection: MysqlConnection) => void): void;
}

/** What a mysql2 callback's result becomes. */
function statementResult(result: unknown): StatementResult {
  if (Array.isArray(result)) return { records: result };
  return { affected: (result as { affectedRows?: number }).affectedRows };
}

/** Thrown for a statement that got no answer in time; its connection was closed. */
export class StatementTimeoutError extends Error {
  override name = 'StatementTimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer from the database within ${timeoutMs} ms; the connection was closed`);
  }
}

/**
 * A mysql2 pool whose statements time out, destroying their connection (see
 * {@link createStatementRunner}).
 */
export class GuardedPool {
  private readonly watch: DeadlineWatch;
  /** When each connection last answered a statement. */
  private readonly answeredAt = new WeakMap<MysqlConnection, number>();
  /** Connections that last answered before this time sat idle through a timeout. */
  private suspectBefore = -Infinity;

  constructor(
    private readonly pool: MysqlPool,
    private readonly timeoutMs: number,
  ) {
    this.watch = new DeadlineWatch(timeoutMs, () => new StatementTimeoutError(timeoutMs));
  }

  /** Runs each statement on a connection of its own from the pool. */
  runner(): StatementRunner {
    return async (sql, parameters) => {
      const connection = await this.acquire();
      const result = await this.run(connection, sql, parameters);
      connection.release();
      return result;
    };
  }

  /** A connection from the pool, skipping (and closing) those suspect since a timeout. */
  async acquire(): Promise<MysqlConnection> {
    for (;;) {
      const connection = await this.watch.watch(
        new Promise<MysqlConnection>((resolve, reject) =>
          this.pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))),
        ),
      );
      const answered = this.answeredAt.get(connection);
      if (answered === undefined) {
        // First seen: have the kernel probe the peer once the connection idles, so that a dead
        // database host is noticed even while no statement runs.
        connection.stream?.setKeepAlive?.(true, Math.max(1_000, this.timeoutMs));
        this.answeredAt.set(connection, -Infinity);
        return connection;
      }
      if (answered >= this.suspectBefore) return connection;
      connection.destroy();
    }
  }

  /**
   * Runs one statement on `connection`, which it destroys when the statement fails to answer in
   * time (the caller then must not release it).
   */
  run(connection: MysqlConnection, sql: string, parameters: unknown[]): Promise<StatementResult> {
    let late = false;
    const running = new Promise<StatementResult>((resolve, reject) =>
      connection.query(sql, parameters, (error, result) => {
        if (late) return;
        this.answeredAt.set(connection, performance.now());
        if (error) reject(error);
        else resolve(statementResult(result));
      }),
    );
    return this.watch.watch(running, () => {
      late = true;
      this.suspectBefore = performance.now();
      connection.destroy();
      // destroy() only half-closes; a reset also drops what the kernel has not sent yet.
      connection.stream?.destroy?.();
      return new StatementTimeoutError(this.timeoutMs);
    });
  }
}
