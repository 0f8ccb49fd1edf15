import mysql from 'mysql2/promise';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import { SessionEntity, sessionMigrations } from '../../src/session/index.js';

/** A database the suite runs on. */
export type TestDatabase = 'sqlite' | 'mariadb';

/** The databases `npm test` found (SQLite always; MariaDB when it answers). */
export function testDatabases(): TestDatabase[] {
  return (process.env.TEST_DATABASES ?? 'sqlite').split(',').filter(Boolean) as TestDatabase[];
}

/**
 * Where a test app keeps its sessions: the table of a database, Redis alone (`cache`), or the
 * table with Redis in front (`cached_db`).
 */
export type TestBackend = TestDatabase | 'cache' | 'cached_db';

/** The databases `npm test` found, and the two Redis stores when a Redis answered. */
export function testBackends(): TestBackend[] {
  return [...testDatabases(), ...(process.env.TEST_REDIS_URL ? (['cache', 'cached_db'] as const) : [])];
}

/** The database of a backend: its own, or, for the Redis stores, MariaDB when there is one. */
export function databaseOf(backend: TestBackend): TestDatabase {
  if (backend === 'sqlite' || backend === 'mariadb') return backend;
  return testDatabases().includes('mariadb') ? 'mariadb' : 'sqlite';
}

/** Counts the SQL statements a data source sends. */
export class QueryCounter implements TypeOrmLogger {
  readonly statements: string[] = [];
  get count(): number {
    return this.statements.length;
  }
  reset(): void {
    this.statements.length = 0;
  }
  logQuery(query: string): void {
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/**
 * Options for a fresh, migrated database of kind `db`: an in-memory SQLite database, or a
 * MariaDB database of this Jest worker's own (dropped and migrated again).
 */
export async function testDataSourceOptions(db: TestDatabase, counter?: QueryCounter): Promise<DataSourceOptions> {
  const common = {
    entities: [SessionEntity],
    migrations: sessionMigrations,
    migrationsRun: true,
    ...(counter && { logger: counter, logging: ['query' as const] }),
  };
  if (db === 'sqlite') return { ...common, type: 'better-sqlite3', database: ':memory:' };
  const url = new URL(process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
  // One database per Jest worker and run, so that two runs on one server never meet.
  const database = `nest_sessions_test_${process.env.TEST_RUN_ID ?? '0'}_${process.env.JEST_WORKER_ID ?? '0'}`;
  const admin = await mysql.createConnection({ uri: url.toString() });
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.query(`CREATE DATABASE \`${database}\``);
  await admin.end();
  url.pathname = `/${database}`;
  return { ...common, type: 'mysql', url: url.toString(), timezone: 'Z' };
}

/** A fresh, migrated data source on `db`. */
export async function createTestDataSource(db: TestDatabase, counter?: QueryCounter): Promise<DataSource> {
  return new DataSource(await testDataSourceOptions(db, counter)).initialize();
}
