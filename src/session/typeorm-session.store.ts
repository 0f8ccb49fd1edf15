import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { clearExpiredByLimit } from './clear-expired-by-limit.js';
import { SessionEntity } from './session.entity.js';
import { sweepExpiredByKey, type SweepTable } from './typeorm-expired-sweep.js';
import { TurnBatcher } from './turn-batcher.js';
import {
  createStatementRunner,
  createTransactionRunner,
  isMysql,
  type StatementResult,
  type StatementRunner,
  type TransactionRunner,
} from './typeorm-statement-runner.js';
import {
  MAX_SESSION_VERSION,
  SessionKeyTakenError,
  type SessionCounts,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from './session-store.interface.js';

/** A row to insert, its expiry already in UTC text. */
interface NewRow {
  key: string;
  data: string;
  expires: string;
}

/** A row to save over the one of `version`. */
interface ChangedRow extends NewRow {
  version: number;
}

interface Statements {
  load: string;
  /** A SELECT of up to `count` keys at once, naming each row's key. */
  loadMany: (count: number) => string;
  exists: string;
  insert: string;
  /** An INSERT of `count` rows in one statement. */
  insertMany: (count: number) => string;
  update: string;
  /**
   * An UPDATE of `count` rows in one statement, each guarded by its own version (MySQL/MariaDB);
   * its parameters come from {@link updateManyParameters}.
   */
  updateMany: (count: number) => string;
  delete: string;
  /** A DELETE of the row only while it is at a given version. */
  deleteAtVersion: string;
  clearExpired: string;
  /** A statement deleting at most `limit` expired rows. */
  clearExpiredBatch: (limit: number) => string;
  countExpired: string;
  countAll: string;
  /** Names for the key-ordered sweep; set on MySQL/MariaDB only. */
  sweep?: SweepTable;
}

/** Options of {@link TypeOrmSessionStore}. */
export interface TypeOrmSessionStoreOptions {
  /**
   * Whether loads and inserts that start in the same turn of the event loop go to the database
   * together, as one statement each (see {@link TurnBatcher}); on MySQL/MariaDB updates too, in
   * one transaction. Default: on, except for SQLite, which runs in process and gains nothing
   * from it.
   */
  batching?: boolean;
  /**
   * Milliseconds a statement may go unanswered before it fails and, on MySQL/MariaDB, its
   * connection is closed and replaced. `SessionModule` sets it a little under its
   * `storeTimeout` (see `statementTimeoutFor`); do the same for a store you make yourself.
   * Default 4750.
   */
  statementTimeout?: number;
}

/**
 * A little under `storeTimeout`: a statement's connection is closed before its request is
 * answered 503, so that nothing of it still unsent goes out after that answer.
 */
export function statementTimeoutFor(storeTimeout: number): number {
  return Math.max(1, storeTimeout - Math.min(250, Math.ceil(storeTimeout / 10)));
}

/** The most keys or rows one batched statement carries. */
const MAX_BATCH = 100;
/**
 * The most session data, in characters, one multi-row INSERT carries, so that it stays well
 * under MySQL's smallest default `max_allowed_packet` (4 MiB) whatever the text's encoding.
 */
const MAX_BATCH_CHARS = 1 << 19;
/**
 * The fewest updates worth a transaction: it takes three statements (START, UPDATE, COMMIT) on
 * one connection, where fewer updates go as one statement each, side by side.
 */
const MIN_UPDATE_BATCH = 4;

type LoadedRow = { session_key?: string; session_data: string; expire_date: unknown; version: number | string };

/** Above this share of expired rows, a MySQL cleanup walks the key instead of the expiry index. */
const SWEEP_SHARE = 0.2;

/**
 * Keeps sessions in the `session` table of a TypeORM data source (MySQL/MariaDB, SQLite, …).
 *
 * Each operation alone is one statement; operations that start in one turn share theirs (see
 * {@link TypeOrmSessionStoreOptions.batching}). The SQL is built once, from the entity's
 * metadata, and runs straight on the driver (see {@link createStatementRunner}), so the
 * per-request path does no query building; times are written as UTC text so the column holds UTC
 * whatever the driver's time zone setting.
 */
export class TypeOrmSessionStore implements SessionStore {
  private readonly sql: Statements;
  private readonly expireDateColumn: ColumnMetadata;
  private runner: StatementRunner | undefined;
  private transactionRunner: TransactionRunner | undefined;
  private readonly loads: TurnBatcher<string, LoadedRow | undefined> | undefined;
  private readonly inserts: TurnBatcher<NewRow, Error | undefined> | undefined;
  private readonly updates: TurnBatcher<ChangedRow, boolean> | undefined;
  private readonly statementTimeout: number;

  constructor(
    private readonly dataSource: DataSource,
    options: TypeOrmSessionStoreOptions = {},
  ) {
    this.sql = buildStatements(dataSource);
    this.statementTimeout = options.statementTimeout ?? 4_750;
    this.expireDateColumn = dataSource.getMetadata(SessionEntity).findColumnWithPropertyName('expireDate')!;
    if (options.batching ?? !isEmbedded(dataSource.options.type)) {
      this.loads = new TurnBatcher((keys) => this.loadRows(keys), MAX_BATCH);
      this.inserts = new TurnBatcher((rows) => this.insertRows(rows), MAX_BATCH);
      if (isMysql(dataSource.options.type)) this.updates = new TurnBatcher((rows) => this.updateRows(rows), MAX_BATCH);
    }
  }

  async load(key: string): Promise<StoredSession | undefined> {
    const row = this.loads ? await this.loads.add(key) : (await this.loadRows([key]))[0];
    if (!row) return undefined;
    const expiresAt = this.expiryOf(row.expire_date);
    return { data: row.session_data, expiresAt, version: Number(row.version) };
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    const row = { key, data: record.data, expires: utc(record.expiresAt) };
    const failure = this.inserts ? await this.inserts.add(row) : (await this.insertRows([row]))[0];
    if (failure) throw failure;
  }

  update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    const row = { key, data: record.data, expires: utc(record.expiresAt), version };
    return this.updates ? this.updates.add(row) : this.updateRow(row);
  }

  async delete(key: string, version?: number): Promise<boolean> {
    const { affected } = await (version === undefined
      ? this.run(this.sql.delete, [key])
      : this.run(this.sql.deleteAtVersion, [key, version]));
    return (affected ?? 0) > 0;
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

  /**
   * The expiry read back exactly as written: UTC text (MySQL's DATE_FORMAT, SQLite's own text)
   * is parsed as UTC whatever the driver's time zone setting, since the row's signature covers
   * the expiry to the millisecond.
   */
  private expiryOf(value: unknown): Date {
    if (typeof value === 'string') return new Date(`${value.slice(0, 23).replace(' ', 'T')}Z`);
    return this.dataSource.driver.prepareHydratedValue(value, this.expireDateColumn) as Date;
  }

  /** The live rows under `keys`, in their order; one statement. */
  private async loadRows(keys: string[]): Promise<(LoadedRow | undefined)[]> {
    const now = utc(new Date());
    if (keys.length === 1) {
      const { records } = await this.run(this.sql.load, [keys[0], now]);
      return [records?.[0] as LoadedRow | undefined];
    }
    const { records = [] } = await this.run(this.sql.loadMany(keys.length), [...keys, now]);
    const byKey = new Map((records as LoadedRow[]).map((row) => [row.session_key, row]));
    return keys.map((key) => byKey.get(key));
  }

  /**
   * Inserts `rows` in as few statements as their size allows; resolves, per row, the error its
   * `create()` must throw, if any.
   */
  private async insertRows(rows: NewRow[]): Promise<(Error | undefined)[]> {
    const groups = groupBySize(rows, MAX_BATCH_CHARS);
    const outcomes = await Promise.all(
      groups.map((group) => this.insertGroup(group).catch((error: Error) => group.map(() => error))),
    );
    return outcomes.flat();
  }

  /**
   * One statement for all of `rows` when no key is taken. A taken key fails the whole statement
   * (which then stores nothing), so the rows go again one by one to find out which.
   */
  private async insertGroup(rows: NewRow[]): Promise<(Error | undefined)[]> {
    if (rows.length > 1) {
      try {
        await this.run(this.sql.insertMany(rows.length), rows.flatMap((row) => [row.key, row.data, row.expires]));
        return rows.map(() => undefined);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    return Promise.all(
      rows.map((row) =>
        this.run(this.sql.insert, [row.key, row.data, row.expires]).then(
          () => undefined,
          (error: unknown) => (isDuplicateKey(error) ? new SessionKeyTakenError() : (error as Error)),
        ),
      ),
    );
  }

  private async updateRow({ key, data, expires, version }: ChangedRow): Promise<boolean> {
    const { affected } = await this.run(this.sql.update, [data, expires, key, version]);
    return (affected ?? 0) > 0;
  }

  /**
   * Saves `rows`, resolving per row whether its version still held. Several rows of distinct keys
   * go as one UPDATE in a transaction, kept only if every row's version held: the database tells
   * how many rows an UPDATE changed, not which, so when one row lost to another request, the
   * whole group is rolled back and each row goes again alone to learn its own outcome.
   */
  private async updateRows(rows: ChangedRow[]): Promise<boolean[]> {
    // Two saves of one session in a group would race inside one statement; the second waits.
    const keys = new Set<string>();
    const distinct: ChangedRow[] = [];
    const repeated: ChangedRow[] = [];
    for (const row of rows) {
      if (keys.has(row.key)) {
        repeated.push(row);
      } else {
        keys.add(row.key);
        distinct.push(row);
      }
    }
    const outcomes = new Map<ChangedRow, boolean>();
    const saveAlone = async (row: ChangedRow) => void outcomes.set(row, await this.updateRow(row));
    await Promise.all([
      ...groupBySize(distinct, MAX_BATCH_CHARS).map(async (group) => {
        if (group.length >= MIN_UPDATE_BATCH && (await this.updateGroup(group))) {
          for (const row of group) outcomes.set(row, true);
        } else {
          await Promise.all(group.map(saveAlone));
        }
      }),
      ...repeated.map(saveAlone),
    ]);
    return rows.map((row) => outcomes.get(row)!);
  }

  /** One UPDATE for all of `rows` (distinct keys) in a transaction; whether it was kept. */
  private updateGroup(rows: ChangedRow[]): Promise<boolean> {
    this.transactionRunner ??= createTransactionRunner(this.dataSource, this.statementTimeout);
    return this.transactionRunner!(async (run) => {
      const { affected } = await run(this.sql.updateMany(rows.length), updateManyParameters(rows));
      return affected === rows.length;
    }).catch((error: unknown) => {
      // Another transaction holding one of the rows is no failure of the save: alone, each
      // row takes its turn.
      if (isLockConflict(error)) return false;
      throw error;
    });
  }

  private run(sql: string, parameters: unknown[]): Promise<StatementResult> {
    // Made on first use: the driver's pool exists once the data source is initialised.
    this.runner ??= createStatementRunner(this.dataSource, this.statementTimeout);
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
  // MySQL hands DATETIME out in the connection's time zone; as text it is exactly what was written.
  const expiresOut = isMysql(dataSource.options.type) ? `DATE_FORMAT(${expires}, '%Y-%m-%d %H:%i:%s.%f')` : expires;
  const selected = `${data} AS session_data, ${expiresOut} AS expire_date, ${version} AS version`;
  // Wraps instead of overflowing the column (see nextSessionVersion).
  const next = `CASE WHEN ${version} >= ${MAX_SESSION_VERSION} THEN 0 ELSE ${version} + 1 END`;
  const list = (from: number, count: number) => Array.from({ length: count }, (_, i) => p(from + i)).join(', ');
  return {
    load: `SELECT ${selected} FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    loadMany: memoize((count) => `SELECT ${key} AS session_key, ${selected} FROM ${table} WHERE ${key} IN (${list(0, count)}) AND ${expires} > ${p(count)}`),
    exists: `SELECT 1 AS found FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    insert: `INSERT INTO ${table} (${key}, ${data}, ${expires}, ${version}) VALUES (${p(0)}, ${p(1)}, ${p(2)}, 0)`,
    insertMany: memoize(
      (count) =>
        `INSERT INTO ${table} (${key}, ${data}, ${expires}, ${version}) VALUES ` +
        Array.from({ length: count }, (_, i) => `(${list(3 * i, 3)}, 0)`).join(', '),
    ),
    update:
      `UPDATE ${table} SET ${data} = ${p(0)}, ${expires} = ${p(1)}, ${version} = ${next} ` +
      `WHERE ${key} = ${p(2)} AND ${version} = ${p(3)}`,
    updateMany: memoize((count) => {
      const each = (from: number) => Array.from({ length: count }, (_, i) => `WHEN ${p(from + 2 * i)} THEN ${p(from + 2 * i + 1)}`).join(' ');
      return (
        `UPDATE ${table} SET ${data} = CASE ${key} ${each(0)} END, ${expires} = CASE ${key} ${each(2 * count)} END, ` +
        `${version} = ${next} WHERE ${key} IN (${list(4 * count, count)}) AND ${version} = CASE ${key} ${each(5 * count)} END`
      );
    }),
    delete: `DELETE FROM ${table} WHERE ${key} = ${p(0)}`,
    deleteAtVersion: `DELETE FROM ${table} WHERE ${key} = ${p(0)} AND ${version} = ${p(1)}`,
    clearExpired: `DELETE FROM ${table} WHERE ${expired}`,
    clearExpiredBatch: batchDelete(dataSource.options.type, table, expired),
    countExpired: `SELECT COUNT(*) AS n FROM ${table} WHERE ${expired}`,
    countAll: `SELECT COUNT(*) AS n FROM ${table}`,
    sweep: isMysql(dataSource.options.type) ? { table, key, expires } : undefined,
  };
}

/**
 * The parameters of `updateMany(rows.length)`, in the order of its placeholders: the data CASE,
 * the expiry CASE, the key list, the version CASE.
 */
function updateManyParameters(rows: ChangedRow[]): unknown[] {
  return [
    ...rows.flatMap((row) => [row.key, row.data]),
    ...rows.flatMap((row) => [row.key, row.expires]),
    ...rows.map((row) => row.key),
    ...rows.flatMap((row) => [row.key, row.version]),
  ];
}

/**
 * `DELETE` of at most `limit` rows matching `where`, walking the `expire_date` index. Each
 * database spells it differently: MySQL refuses `LIMIT` inside an `IN (…)` subquery but takes it
 * on `DELETE`; SQLite takes `LIMIT` on `DELETE` only when compiled for it, but does in a subquery.
 * Elsewhere the whole cleanup is one statement.
 */
function batchDelete(type: string, table: string, where: string): (limit: number) => string {
  if (isMysql(type)) return (limit) => `DELETE FROM ${table} WHERE ${where} LIMIT ${limit}`;
  const rowId = type === 'postgres' ? 'ctid' : isEmbedded(type) ? 'rowid' : undefined;
  if (!rowId) return () => `DELETE FROM ${table} WHERE ${where}`;
  return (limit) => `DELETE FROM ${table} WHERE ${rowId} IN (SELECT ${rowId} FROM ${table} WHERE ${where} LIMIT ${limit})`;
}

/** Drivers that run in process, where a round trip costs next to nothing. */
const isEmbedded = (type: string) => type.includes('sqlite') || type === 'sqljs';

/** `rows` in order, in groups whose data adds up to at most `limit` characters (or one row). */
function groupBySize<Row extends NewRow>(rows: Row[], limit: number): Row[][] {
  const groups: Row[][] = [];
  let size = Infinity;
  for (const row of rows) {
    if (size + row.data.length > limit) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(row);
    size += row.data.length;
  }
  return groups;
}

/** `build`, remembering its statements by size (at most {@link MAX_BATCH} of them). */
function memoize(build: (count: number) => string): (count: number) => string {
  const built = new Map<number, string>();
  return (count) => {
    let sql = built.get(count);
    if (sql === undefined) built.set(count, (sql = build(count)));
    return sql;
  };
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: what DATETIME(3) and SQLite's datetime text both take. */
function utc(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/** A deadlock, or a lock wait that timed out: the group ends rolled back, and its rows may go again alone. */
function isLockConflict(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

function isDuplicateKey(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** The code of the driver's own error, or of the one TypeORM wraps. */
function errorCode(error: unknown): string | undefined {
  const cause = (error as { driverError?: { code?: string } })?.driverError ?? (error as { code?: string });
  return cause?.code;
}
