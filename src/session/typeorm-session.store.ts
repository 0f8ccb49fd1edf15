import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { clearExpiredByLimit } from './clear-expired-by-limit.js';
import { SessionEntity } from './session.entity.js';
import { sweepExpiredByKey, type SweepTable } from './typeorm-expired-sweep.js';
import { createStatementRunner, type StatementResult, type StatementRunner } from './typeorm-statement-runner.js';
import {
  SessionKeyTakenError,
  type SessionCounts,
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
  /** A statement deleting at most `limit` expired rows. */
  clearExpiredBatch: (limit: number) => string;
  countExpired: string;
  countAll: string;
  /** Names for the key-ordered sweep; set on MySQL/MariaDB only. */
  sweep?: SweepTable;
}

/** Above this share of expired rows, a MySQL cleanup walks the key instead of the expiry index. */
const SWEEP_SHARE = 0.2;

/**
 * Keeps sessions in the `session` table of a TypeORM data source (MySQL/MariaDB, SQLite, …).
 *
 * Each operation is one statement. The SQL is built once, from the entity's metadata, and runs
 * straight on the driver (see {@link createStatementRunner}), so the per-request path does no
 * query building; times are written as UTC text so the column holds UTC whatever the driver's
 * time zone setting.
 */
export class TypeOrmSessionStore implements SessionStore {
  private readonly sql: Statements;
  private readonly expireDateColumn: ColumnMetadata;
  private runner: StatementRunner | undefined;

  constructor(private readonly dataSource: DataSource) {
    this.sql = buildStatements(dataSource);
    this.expireDateColumn = dataSource.getMetadata(SessionEntity).findColumnWithPropertyName('expireDate')!;
  }

  async load(key: string): Promise<StoredSession | undefined> {
    const { records } = await this.run(this.sql.load, [key, utc(new Date())]);
    const row = records?.[0] as { session_data: string; expire_date: unknown; version: number | string } | undefined;
    if (!row) return undefined;
    const expiresAt = this.dataSource.driver.prepareHydratedValue(row.expire_date, this.expireDateColumn) as Date;
    return { data: row.session_data, expiresAt, version: Number(row.version) };
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    try {
      await this.run(this.sql.insert, [key, record.data, utc(record.expiresAt)]);
    } catch (error) {
      if (isDuplicateKey(error)) throw new SessionKeyTakenError();
      throw error;
    }
  }

  async update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    const { affected } = await this.run(this.sql.update, [record.data, utc(record.expiresAt), key, version]);
    return (affected ?? 0) > 0;
  }

  async delete(key: string): Promise<void> {
    await this.run(this.sql.delete, [key]);
  }

  async exists(key: string): Promise<boolean> {
    const { records } = await this.run(this.sql.exists, [key, utc(new Date())]);
    return (records?.length ?? 0) > 0;
  }

  async clearExpired(now: Date = new Date(), limit?: number): Promise<number> {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new RangeError(`clearExpired() takes a whole number of rows above 0 as limit, got ${limit}`);
    }
    const sql = limit === undefined ? this.sql.clearExpired : this.sql.clearExpiredBatch(limit);
    const { affected } = await this.run(sql, [utc(now)]);
    return affected ?? 0;
  }

  /**
   * Deletes expired rows in batches of about `batchSize`: through the `expire_date` index, or, on
   * MySQL/MariaDB when at least a fifth of the rows have expired, along the primary key (see
   * {@link sweepExpiredByKey}).
   */
  async *clearExpiredInBatches(now: Date, batchSize: number): AsyncIterable<number> {
    const sweep = this.sql.sweep;
    if (sweep) {
      const { live, expired } = await this.count(now);
      if (expired === 0) return;
      if (expired >= SWEEP_SHARE * (live + expired)) return yield* sweepExpiredByKey(this.dataSource, sweep, utc(now), batchSize);
    }
    yield* clearExpiredByLimit(this, now, batchSize);
  }

  async count(now: Date = new Date()): Promise<SessionCounts> {
    const [expired, all] = await Promise.all([
      this.run(this.sql.countExpired, [utc(now)]),
      this.run(this.sql.countAll, []),
    ]);
    const number = (result: typeof expired) => Number((result.records?.[0] as { n: unknown }).n);
    return { live: number(all) - number(expired), expired: number(expired) };
  }

  private run(sql: string, parameters: unknown[]): Promise<StatementResult> {
    // Made on first use: the driver's pool exists once the data source is initialised.
    this.runner ??= createStatementRunner(this.dataSource);
    return this.runner(sql, parameters);
  }
}

function buildStatements(dataSource: DataSource): Statements {
  const { driver } = dataSource;
  const meta = dataSource.getMetadata(SessionEntity);
  const table = driver.escape(meta.tableName);
  const column = (property: keyof SessionEntity) =>
    driver.escape(meta.findColumnWithPropertyName(property)!.databaseName);
  const [key, data, expires, version] = [
    column('sessionKey'),
    column('sessionData'),
    column('expireDate'),
    column('version'),
  ];
  const p = (index: number) => driver.createParameter(`p${index}`, index);
  const expired = `${expires} <= ${p(0)}`;
  return {
    load: `SELECT ${data} AS session_data, ${expires} AS expire_date, ${version} AS version FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    exists: `SELECT 1 AS found FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    insert: `INSERT INTO ${table} (${key}, ${data}, ${expires}, ${version}) VALUES (${p(0)}, ${p(1)}, ${p(2)}, 0)`,
    update:
      `UPDATE ${table} SET ${data} = ${p(0)}, ${expires} = ${p(1)}, ${version} = ${version} + 1 ` +
      `WHERE ${key} = ${p(2)} AND ${version} = ${p(3)}`,
    delete: `DELETE FROM ${table} WHERE ${key} = ${p(0)}`,
    clearExpired: `DELETE FROM ${table} WHERE ${expired}`,
    clearExpiredBatch: batchDelete(dataSource.options.type, table, expired),
    countExpired: `SELECT COUNT(*) AS n FROM ${table} WHERE ${expired}`,
    countAll: `SELECT COUNT(*) AS n FROM ${table}`,
    sweep: isMysql(dataSource.options.type) ? { table, key, expires } : undefined,
  };
}

/**
 * `DELETE` of at most `limit` rows matching `where`, walking the `expire_date` index. Each
 * database spells it differently: MySQL refuses `LIMIT` inside an `IN (…)` subquery but takes it
 * on `DELETE`; SQLite takes `LIMIT` on `DELETE` only when compiled for it, but does in a subquery.
 * Elsewhere the whole cleanup is one statement.
 */
function batchDelete(type: string, table: string, where: string): (limit: number) => string {
  if (isMysql(type)) return (limit) => `DELETE FROM ${table} WHERE ${where} LIMIT ${limit}`;
  const rowId = type === 'postgres' ? 'ctid' : type.includes('sqlite') || type === 'sqljs' ? 'rowid' : undefined;
  if (!rowId) return () => `DELETE FROM ${table} WHERE ${where}`;
  return (limit) => `DELETE FROM ${table} WHERE ${rowId} IN (SELECT ${rowId} FROM ${table} WHERE ${where} LIMIT ${limit})`;
}

const isMysql = (type: string) => type === 'mysql' || type === 'mariadb';

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: what DATETIME(3) and SQLite's datetime text both take. */
function utc(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

function isDuplicateKey(error: unknown): boolean {
  // The driver's own error, or TypeORM's wrapper around it.
  const cause = (error as { driverError?: { code?: string } })?.driverError ?? (error as { code?: string });
  return (
    cause?.code === 'ER_DUP_ENTRY' ||
    cause?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    cause?.code === '23505'
  );
}
