import mysql from 'mysql2/promise';
import pg from 'pg';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import { SessionEntity, sessionMigrations } from '../../src/session/index.js';

/** A database the suite runs on. */
export type TestDatabase = 'sqlite' | 'mariadb' | 'postgres';

/** The databases `npm test` found (SQLite always; MariaDB and PostgreSQL when they answer). */
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

/** The database of a backend: its own, or, for the Redis stores, a database server when there is one. */
export function databaseOf(backend: TestBackend): TestDatabase {
  if (backend !== 'cache' && backend !== 'cached_db') return backend;
  return testDatabases().find((db) => db !== 'sqlite') ?? 'sqlite';
}

/** The PostgreSQL server of the suite. */
export const testPostgresUrl = (): string => process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Counts the SQL statements a data source sends (and the Redis commands pushed onto `statements`). */
export class QueryCounter implements TypeOrmLogger {
  readonly statements: string[] = [];
  /** Of `statements`, those the data source sent. */
  private sql = 0;
  get count(): number {
    return this.statements.length;
  }
  /** The SQL statements alone, without Redis commands. */
  get sqlCount(): number {
    return this.sql;
  }
  reset(): void {
    this.statements.length = 0;
    this.sql = 0;
  }
  logQuery(query: string): void {
    this.statements.push(query);
    this.sql++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** This Jest worker's database on a server: one per worker and run, so that two runs never meet. */
const workerDatabase = () =>
  `nest_sessions_test_${process.env.TEST_RUN_ID ?? '0'}_${process.env.JEST_WORKER_ID ?? '0'}`;

/**
 * Options for a fresh, migrated database of kind `db`: an in-memory SQLite database, or a
 * MariaDB or PostgreSQL database of this Jest worker's own (dropped and migrated again).
 */
export async function testDataSourceOptions(db: TestDatabase, counter?: QueryCounter): Promise<DataSourceOptions> {
  const common = {
    entities: [SessionEntity],
    migrations: sessionMigrations,
    migrationsRun: true,
    ...(counter && { logger: counter, logging: ['query' as const] }),
  };
  if (db === 'sqlite') return { ...common, type: 'better-sqlite3', database: ':memory:' };
  const database = workerDatabase();
  if (db === 'postgres') {
    const url = new URL(testPostgresUrl());
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    // FORCE: connections a test left closing do not keep the database.
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
    url.pathname = `/${database}`;
    // A session time zone far from UTC, so that a time written or read in it shows.
    return { ...common, type: 'postgres', url: url.toString(), extra: { options: '-c TimeZone=Pacific/Kiritimati' } };
  }
  const url = new URL(process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
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

/**
 * Checks the types the migrations gave the sessions table `table` on PostgreSQL: every time an
 * instant to the millisecond, whatever the session's time zone; the data `text`; the keys
 * compared and ordered byte for byte.
 */
export async function expectPostgresColumns(dataSource: DataSource, table: string): Promise<void> {
  const columns: { name: string; type: string; precision: number | null; collation: string | null }[] =
    await dataSource.query(
      `SELECT column_name AS name, data_type AS type, datetime_precision AS precision, collation_name AS collation
       FROM information_schema.columns WHERE table_name = $1`,
      [table],
    );
  const of = (name: string) => columns.find((column) => column.name === name);
  const times = ['created_at', 'expire_date', 'key_issued_at', 'last_seen_at', 'previous_until'];
  expect(
    columns
      .filter((column) => column.type.startsWith('timestamp'))
      .map((column) => column.name)
      .sort(),
  ).toEqual(times);
  for (const name of times)
    expect([name, of(name)?.type, of(name)?.precision]).toEqual([name, 'timestamp with time zone', 3]);
  expect(of('session_data')?.type).toBe('text');
  expect([of('session_key')?.collation, of('previous_key')?.collation]).toEqual(['C', 'C']);
}
