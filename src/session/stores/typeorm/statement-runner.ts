import type { DataSource } from 'typeorm';
import { isMysql, isPostgres } from './database-type.js';
import { StatementTimeoutError, type GuardedPool } from './guarded-pool.js';
import { guardMysqlPool, type MysqlConnection, type MysqlPool } from './mysql-guarded-pool.js';
import { guardPostgresPool, type PostgresPool } from './postgres-guarded-pool.js';
import type { StatementRunner, TransactionRunner } from './statement-result.js';

interface SqliteStatement {
  reader: boolean;
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): { changes: number };
}

interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

/**
 * The quickest way to run the store's few statements on `dataSource`: straight on the driver's
 * own mysql2 or pg pool or better-sqlite3 database (prepared once), skipping the query runner,
 * event broadcaster and promise wrapper that TypeORM puts around every query — most of a
 * session request's cost otherwise. Other drivers go through a query runner. Statements are
 * still reported to the data source's logger when it logs queries.
 *
 * On MySQL/MariaDB and PostgreSQL a statement with no answer after `timeoutMs` fails, and its
 * connection is destroyed rather than handed back: a socket that went silent (a proxy or NAT
 * that lost its state, a failover behind a virtual IP) would otherwise stay in the pool, and
 * every statement queued on it would wait too. Connections that sat idle through such a
 * timeout are suspect as well, and are replaced the next time the pool hands them out.
 */
export function createStatementRunner(dataSource: DataSource, timeoutMs: number): StatementRunner {
  const pool = guardedPool(dataSource, timeoutMs);
  const database = sqliteDatabase(dataSource);
  if (pool) return logged(dataSource, pool.runner());
  if (database) return logged(dataSource, sqliteRunner(database));
  // A query runner reports to the logger itself.
  return queryRunnerRunner(dataSource);
}

/**
 * Transactions for batches of statements on MySQL/MariaDB: on a connection of the driver's own
 * pool, or of a query runner when there is none (replication). Undefined for other databases.
 */
export function createTransactionRunner(dataSource: DataSource, timeoutMs: number): TransactionRunner | undefined {
  if (!isMysql(dataSource.options.type)) return undefined;
  const pool = guardedPool(dataSource, timeoutMs);
  const begin = pool ? pooledConnection(pool, dataSource) : queryRunnerConnection(dataSource);
  return async (work) => {
    const connection = await begin();
    const run = connection.run;
    let commit = false;
    try {
      await run('START TRANSACTION', []);
      commit = await work(run);
      await run(commit ? 'COMMIT' : 'ROLLBACK', []);
    } catch (error) {
      // A statement that timed out took its connection with it, and the server rolls back.
      if (error instanceof StatementTimeoutError) throw error;
      // A failed ROLLBACK leaves the connection in an unknown state: it is closed, not reused.
      await run('ROLLBACK', []).then(connection.release, connection.discard);
      throw error;
    }
    connection.release();
    return commit;
  };
}

/** `run`, reporting each statement to the data source's logger when that logs queries. */
function logged(dataSource: DataSource, run: StatementRunner): StatementRunner {
  const logging = dataSource.options.logging;
  const logs = logging === true || logging === 'all' || (Array.isArray(logging) && logging.includes('query'));
  if (!logs) return run;
  return (sql, parameters) => {
    dataSource.logger.logQuery(sql, parameters);
    return run(sql, parameters);
  };
}

/**
 * The driver's own pool, guarded: mysql2's (none under replication, which has a pool cluster),
 * or pg's pool of the primary, which takes reads and writes alike.
 */
function guardedPool(dataSource: DataSource, timeoutMs: number): GuardedPool<object> | undefined {
  const driver = dataSource.driver as unknown as { pool?: MysqlPool; master?: PostgresPool };
  const type = dataSource.options.type;
  if (isMysql(type) && driver.pool) return guardMysqlPool(driver.pool, timeoutMs);
  if (isPostgres(type) && driver.master) return guardPostgresPool(driver.master, timeoutMs);
  return undefined;
}

function sqliteDatabase(dataSource: DataSource): SqliteDatabase | undefined {
  const driver = dataSource.driver as unknown as { databaseConnection?: SqliteDatabase };
  return dataSource.options.type === 'better-sqlite3' ? driver.databaseConnection : undefined;
}

/** One connection held for a transaction: its runner, and the two ways to let it go. */
interface HeldConnection {
  run: StatementRunner;
  release(): void;
  discard(): void;
}

function pooledConnection<C extends object>(
  pool: GuardedPool<C>,
  dataSource: DataSource,
): () => Promise<HeldConnection> {
  return async () => {
    const connection = await pool.acquire();
    return {
      run: logged(dataSource, (sql, parameters) => pool.run(connection, sql, parameters)),
      release: () => pool.release(connection),
      discard: () => pool.discard(connection),
    };
  };
}

function queryRunnerConnection(dataSource: DataSource): () => Promise<HeldConnection> {
  return async () => {
    const runner = dataSource.createQueryRunner();
    const release = () => void runner.release().catch(() => undefined);
    const discard = () => {
      // Destroyed first, the connection leaves its pool; the runner's release then returns nothing.
      (runner as unknown as { databaseConnection?: Partial<MysqlConnection> }).databaseConnection?.destroy?.();
      release();
    };
    return { run: (sql, parameters) => runner.query(sql, parameters, true), release, discard };
  };
}

function sqliteRunner(database: SqliteDatabase): StatementRunner {
  const statements = new Map<string, SqliteStatement>();
  return async (sql, parameters) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = database.prepare(sql)));
    return statement.reader
      ? { records: statement.all(...parameters) }
      : { affected: statement.run(...parameters).changes };
  };
}

function queryRunnerRunner(dataSource: DataSource): StatementRunner {
  return async (sql, parameters) => {
    const runner = dataSource.createQueryRunner();
    try {
      return await runner.query(sql, parameters, true);
    } finally {
      await runner.release();
    }
  };
}
