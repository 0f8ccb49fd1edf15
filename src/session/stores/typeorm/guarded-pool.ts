import { DeadlineWatch } from '../deadline-watch.js';
import type { StatementResult, StatementRunner } from './statement-result.js';

/** The socket under a pooled connection, as far as the guard uses it. */
export interface PooledSocket {
  setKeepAlive?(enable: boolean, initialDelay: number): void;
  destroy?(): void;
}

/** What the guard needs of a driver's pool: mysql2's and pg's each have an adapter. */
export interface PoolAdapter<C> {
  connect(callback: (error: Error | null, connection?: C) => void): void;
  query(
    connection: C,
    sql: string,
    parameters: unknown[],
    callback: (error: Error | null, result?: StatementResult) => void,
  ): void;
  /** Hands the connection back to the pool. */
  release(connection: C): void;
  /** Takes the connection out of the pool and closes it. */
  destroy(connection: C): void;
  socket(connection: C): PooledSocket | undefined;
}

/** Thrown for a statement that got no answer in time; its connection was closed. */
export class StatementTimeoutError extends Error {
  override name = 'StatementTimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer from the database within ${timeoutMs} ms; the connection was closed`);
  }
}

/**
 * A driver's pool whose statements time out, destroying their connection (see
 * {@link createStatementRunner}).
 */
export class GuardedPool<C extends object> {
  private readonly watch: DeadlineWatch;
  /** When each connection last answered a statement. */
  private readonly answeredAt = new WeakMap<C, number>();
  /** Connections that last answered before this time sat idle through a timeout. */
  private suspectBefore = -Infinity;

  constructor(
    private readonly pool: PoolAdapter<C>,
    private readonly timeoutMs: number,
  ) {
    this.watch = new DeadlineWatch(timeoutMs, () => new StatementTimeoutError(timeoutMs));
  }

  /** Runs each statement on a connection of its own from the pool. */
  runner(): StatementRunner {
    return async (sql, parameters) => {
      const connection = await this.acquire();
      let result: StatementResult;
      try {
        result = await this.run(connection, sql, parameters);
      } catch (error) {
        // A statement the database refused (a taken key, say) leaves its connection fit for the
        // next; one that timed out took its connection with it.
        if (!(error instanceof StatementTimeoutError)) this.pool.release(connection);
        throw error;
      }
      this.pool.release(connection);
      return result;
    };
  }

  /** Hands `connection` back to the pool. */
  release(connection: C): void {
    this.pool.release(connection);
  }

  /** Closes `connection` for good, as after a failed rollback. */
  discard(connection: C): void {
    this.pool.destroy(connection);
  }

  /** A connection from the pool, skipping (and closing) those suspect since a timeout. */
  async acquire(): Promise<C> {
    for (;;) {
      const connecting = this.connect();
      const connection = await this.watch.watch(connecting, () => {
        // One that comes after its wait timed out goes straight back, so the pool keeps it.
        connecting.then(
          (late) => this.pool.release(late),
          () => undefined,
        );
        return new StatementTimeoutError(this.timeoutMs);
      });
      const answered = this.answeredAt.get(connection);
      if (answered === undefined) {
        // First seen: have the kernel probe the peer once the connection idles, so that a dead
        // database host is noticed even while no statement runs.
        this.pool.socket(connection)?.setKeepAlive?.(true, Math.max(1_000, this.timeoutMs));
        this.answeredAt.set(connection, -Infinity);
        return connection;
      }
      if (answered >= this.suspectBefore) return connection;
      this.pool.destroy(connection);
    }
  }

  /**
   * Runs one statement on `connection`, which it destroys when the statement fails to answer in
   * time (the caller then must not release it).
   */
  run(connection: C, sql: string, parameters: unknown[]): Promise<StatementResult> {
    let late = false;
    const running = new Promise<StatementResult>((resolve, reject) =>
      this.pool.query(connection, sql, parameters, (error, result) => {
        if (late) return;
        this.answeredAt.set(connection, performance.now());
        if (error) reject(error);
        else resolve(result!);
      }),
    );
    return this.watch.watch(running, () => {
      late = true;
      this.suspectBefore = performance.now();
      this.pool.destroy(connection);
      // Closing only half-closes; a reset also drops what the kernel has not sent yet.
      this.pool.socket(connection)?.destroy?.();
      return new StatementTimeoutError(this.timeoutMs);
    });
  }

  private connect(): Promise<C> {
    return new Promise<C>((resolve, reject) => {
      this.pool.connect((error, connection) => (error ? reject(error) : resolve(connection!)));
    });
  }
}
