import type { DataSource } from 'typeorm';

/** What one statement gave back: rows for a query, a count for a change. */
export interface StatementResult {
  records?: unknown[];
  affected?: number;
}

/** Runs one parameterised statement on a data source. */
export type StatementRunner = (sql: string, parameters: unknown[]) => Promise<StatementResult>;

/**
 * Runs `work` in a transaction on one connection, with a runner bound to that connection: it
 * commits when `work` resolves `true`, rolls back when it resolves `false` or throws. Resolves
 * what `work` resolved.
 */
export type TransactionRunner = (work: (run: StatementRunner) => Promise<boolean>) => Promise<boolean>;

type Callback = (error: Error | null, result: unknown) => void;
interface MysqlConnection {
  query(sql: string, values: unknown[], callback: Callback): void;
  release(): void;
  destroy(): void;
}
interface MysqlPool {
  query(sql: string, values: unknown[], callback: Callback): void;
  getConnection(callback: (error: Error | null, connection: MysqlConnection) => void): void;
}
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
 * own mysql2 pool or better-sqlite3 database (prepared once), skipping the query runner, event
 * broadcaster and promise wrapper that TypeORM puts around every query — most of a session
 * request's cost otherwise. Other drivers go through a query runner. Statements are still
 * reported to the data source's logger when it logs queries.
 */
export function createStatementRunner(dataSource: DataSource): StatementRunner {
  const pool = mysqlPool(dataSource);
  const database = sqliteDatabase(dataSource);
  if (pool) return logged(dataSource, mysqlRunner(pool));
  if (database) return logged(dataSource, sqliteRunner(database));
  // A query runner reports to the logger itself.
  return queryRunnerRunner(dataSource);
}

/**
 * Transactions for batches of statements on MySQL/MariaDB: on a connection of the driver's own
 * pool, or of a query runner when there is none (replication). Undefined for other databases.
 */
export function createTransactionRunner(dataSource: DataSource): TransactionRunner | undefined {
  if (!isMysql(dataSource.options.type)) return undefined;
  const pool = mysqlPool(dataSource);
  const begin = pool ? mysqlConnection(pool, dataSource) : queryRunnerConnection(dataSource);
  return async (work) => {
    const connection = await begin();
    const run = connection.run;
    let commit = false;
    try {
      await run('START TRANSACTION', []);
      commit = await work(run);
      await run(commit ? 'COMMIT' : 'ROLLBACK', []);
    } catch (error) {
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

/** Whether a data source of `type` talks to MySQL or MariaDB. */
export const isMysql = (type: string): boolean => type === 'mysql' || type === 'mariadb';

function mysqlPool(dataSource: DataSource): MysqlPool | undefined {
  const driver = dataSource.driver as unknown as { pool?: MysqlPool };
  return isMysql(dataSource.options.type) ? driver.pool : undefined;
}

function sqliteDatabase(dataSource: DataSource): SqliteDatabase | undefined {
  const driver = dataSource.driver as unknown as { databaseConnection?: SqliteDatabase };
  return dataSource.options.type === 'better-sqlite3' ? driver.databaseConnection : undefined;
}

function mysqlRunner(target: { query: MysqlPool['query'] }): StatementRunner {
  return (sql, parameters) =>
    new Promise((resolve, reject) =>
      target.query(sql, parameters, (error, result) => {
        if (error) return reject(error);
        if (Array.isArray(result)) resolve({ records: result });
        else resolve({ affected: (result as { affectedRows?: number }).affectedRows });
      }),
    );
}

/** One connection held for a transaction: its runner, and the two ways to let it go. */
interface HeldConnection {
  run: StatementRunner;
  release(): void;
  discard(): void;
}

function mysqlConnection(pool: MysqlPool, dataSource: DataSource): () => Promise<HeldConnection> {
  return () =>
    new Promise((resolve, reject) =>
      pool.getConnection((error, connection) => {
        if (error) return reject(error);
        resolve({
          run: logged(dataSource, mysqlRunner(connection)),
          release: () => connection.release(),
          discard: () => connection.destroy(),
        });
      }),
    );
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
    return statement.reader ? { records: statement.all(...parameters) } : { affected: statement.run(...parameters).changes };
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
