import type { DataSource, QueryRunner } from 'typeorm';
import { SessionEntity } from './session.entity.js';
import {
  SessionKeyTakenError,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from './session-store.interface.js';

interface Statements {
  load: string;
  exists: string;
  insert: string;
  update: string;
  delete: string;
  clearExpired: string;
}

/**
 * Keeps sessions in the `session` table of a TypeORM data source (MySQL/MariaDB, SQLite, …).
 *
 * Each operation is one statement. The SQL is built once, from the entity's metadata, so the
 * per-request path does no query building; times are written as UTC text so the column holds
 * UTC whatever the driver's time zone setting.
 */
export class TypeOrmSessionStore implements SessionStore {
  private readonly sql: Statements;

  constructor(private readonly dataSource: DataSource) {
    this.sql = buildStatements(dataSource);
  }

  async load(key: string): Promise<StoredSession | undefined> {
    const { records } = await this.run(this.sql.load, [key, utc(new Date())]);
    const row = records?.[0] as { session_data: string } | undefined;
    return row && { data: row.session_data };
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    try {
      await this.run(this.sql.insert, [key, record.data, utc(record.expiresAt)]);
    } catch (error) {
      if (isDuplicateKey(error)) throw new SessionKeyTakenError();
      throw error;
    }
  }

  async update(key: string, record: SessionRecord): Promise<boolean> {
    const { affected } = await this.run(this.sql.update, [record.data, utc(record.expiresAt), key]);
    return (affected ?? 0) > 0;
  }

  async delete(key: string): Promise<void> {
    await this.run(this.sql.delete, [key]);
  }

  async exists(key: string): Promise<boolean> {
    const { records } = await this.run(this.sql.exists, [key, utc(new Date())]);
    return (records?.length ?? 0) > 0;
  }

  async clearExpired(now: Date = new Date()): Promise<number> {
    const { affected } = await this.run(this.sql.clearExpired, [utc(now)]);
    return affected ?? 0;
  }

  private async run(sql: string, parameters: unknown[]) {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    try {
      return await runner.query(sql, parameters, true);
    } finally {
      await runner.release();
    }
  }
}

function buildStatements(dataSource: DataSource): Statements {
  const { driver } = dataSource;
  const meta = dataSource.getMetadata(SessionEntity);
  const table = driver.escape(meta.tableName);
  const column = (property: keyof SessionEntity) =>
    driver.escape(meta.findColumnWithPropertyName(property)!.databaseName);
  const [key, data, expires] = [column('sessionKey'), column('sessionData'), column('expireDate')];
  const p = (index: number) => driver.createParameter(`p${index}`, index);
  return {
    load: `SELECT ${data} AS session_data FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    exists: `SELECT 1 AS found FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    insert: `INSERT INTO ${table} (${key}, ${data}, ${expires}) VALUES (${p(0)}, ${p(1)}, ${p(2)})`,
    update: `UPDATE ${table} SET ${data} = ${p(0)}, ${expires} = ${p(1)} WHERE ${key} = ${p(2)}`,
    delete: `DELETE FROM ${table} WHERE ${key} = ${p(0)}`,
    clearExpired: `DELETE FROM ${table} WHERE ${expires} <= ${p(0)}`,
  };
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: what DATETIME(3) and SQLite's datetime text both take. */
function utc(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

function isDuplicateKey(error: unknown): boolean {
  const cause = (error as { driverError?: { code?: string; errno?: number } })?.driverError;
  return (
    cause?.code === 'ER_DUP_ENTRY' ||
    cause?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    cause?.code === '23505'
  );
}
