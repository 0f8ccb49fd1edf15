import type { DataSource } from 'typeorm';

/** What one statement gave back: rows for a query, a count for a change. */
export interface StatementResult {
  records?: unknown[];
  affected?: number;
}

/** Runs one parameterised statement on a data source. */
export type StatementRunner = (sql: string, parameters: unknown[]) => Promise<StatementResult>;

interface MysqlPool {
  query(sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void): void;
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
  const run = directRunner(dataSource) ?? queryRunnerRunner(dataSource);
  const logging = dataSource.options.logging;
  const logs = logging === true || logging === 'all' || (Array.isArray(logging) && logging.includes('query'));
  if (!logs) return run;
  return (sql, parameters) => {
    dataSource.logger.logQuery(sql, parameters);
    return run(sql, parameters);
  };
}

function directRunner(dataSource: DataSource): StatementRunner | undefined {
  const driver = dataSource.driver as unknown as { pool?: MysqlPool; databaseConnection?: SqliteDatabase };
  const type = dataSource.options.type;
  if ((type === 'mysql' || type === 'mariadb') && driver.pool) return mysqlRunner(driver.pool);
  if (type === 'better-sqlite3' && driver.databaseConnection) return sqliteRunner(driver.databaseConnection);
  return undefined;
}

function mysqlRunner(pool: MysqlPool): StatementRunner {
  return (sql, parameters) =>
    new Promise((resolve, reject) =>
      pool.query(sql, parameters, (error, result) => {
        if (error) return reject(error);
        if (Array.isArray(result)) resolve({ records: result });
        else resolve({ affected: (result as { affectedRows?: number }).affectedRows });
      }),
    );
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
