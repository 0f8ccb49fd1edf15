import type { DataSource, EntityMetadata } from 'typeorm';
import type {
  SessionCounts,
  SessionRecord,
  SessionRenewal,
  SessionStore,
  StoredSession,
  UserSessionRow,
} from '../session-store.interface.js';
import { isEmbedded, isMysql, isPostgres } from './database-type.js';
import { isDuplicateKey } from './driver-errors.js';
import { clearExpiredRows } from './expired-sweep.js';
import { SessionBatches } from './session-batches.js';
import { buildStatements, type Statements } from './session-statements.js';
import { SessionReads, type KeyAsked } from './session-reads.js';
import {
  expiryReader,
  infoValues,
  renewParameters,
  type ChangedRow,
  type LoadedRow,
  type NewRow,
} from './session-rows.js';
import type { StatementResult, StatementRunner, TransactionRunner } from './statement-result.js';
import { createStatementRunner, createTransactionRunner } from './statement-runner.js';
import { checkSessionTable, sessionMetadata } from './session-table.js';
import { DEFAULT_STATEMENT_TIMEOUT, type TypeOrmSessionStoreOptions } from './store-options.js';
import { TurnBatcher } from './turn-batcher.js';

/** The most keys or rows one batched statement carries. */
const MAX_BATCH = 100;

/**
 * Keeps sessions in the table of a sessions entity (`SessionEntity`, or one of `sessionTable()`)
 * of a TypeORM data source (MySQL/MariaDB, PostgreSQL, SQLite, …).
 *
 * Each operation alone is one statement; operations that start in one turn share theirs (see
 * {@link TypeOrmSessionStoreOptions.batching}). The SQL is built once, from the entity's
 * metadata, and runs straight on the driver (see {@link createStatementRunner}), so the
 * per-request path does no query building; times are written as UTC text (with its zone on
 * PostgreSQL) so the column holds UTC whatever the driver's time zone setting.
 * @public
 */
export class TypeOrmSessionStore implements SessionStore {
  private readonly meta: EntityMetadata;
  private readonly sql: Statements;
  /** Writes a time as the statements take it, in UTC. */
  private readonly utc: (date: Date) => string;
  private readonly statementTimeout: number;
  private readonly reads: SessionReads;
  private readonly batches: SessionBatches;
  private runner: StatementRunner | undefined;
  private transactionRunner: TransactionRunner | undefined;
  private readonly loads: TurnBatcher<KeyAsked, LoadedRow | undefined> | undefined;
  private readonly inserts: TurnBatcher<NewRow, Error | undefined> | undefined;
  private readonly updates: TurnBatcher<ChangedRow, boolean> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    options: TypeOrmSessionStoreOptions = {},
  ) {
    this.meta = sessionMetadata(dataSource, options.entity);
    this.sql = buildStatements(dataSource, this.meta, options.renewedKeys ?? true);
    this.statementTimeout = options.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT;
    this.utc = this.sql.time;
    const run: StatementRunner = (sql, parameters) => this.run(sql, parameters);
    this.reads = new SessionReads(this.sql, run, expiryReader(dataSource, this.meta));
    this.batches = new SessionBatches(this.sql, run, () => this.transaction());
    if (options.batching ?? !isEmbedded(dataSource.options.type)) {
      this.loads = new TurnBatcher((keys) => this.reads.rows(keys), MAX_BATCH);
      this.inserts = new TurnBatcher((rows) => this.batches.insertRows(rows), MAX_BATCH);
      if (isMysql(dataSource.options.type) || isPostgres(dataSource.options.type))
        this.updates = new TurnBatcher((rows) => this.batches.updateRows(rows), MAX_BATCH);
    }
  }

  /**
   * Throws a {@link SessionConfigError} naming the migrations when the session table does not
   * exist, so that an app whose migrations never ran says so at start rather than answering
   * every session request 503.
   */
  checkTable(): Promise<void> {
    return checkSessionTable(this.dataSource, this.meta);
  }

  /** {@link checkTable}, as the store contract's start check. */
  checkReady(): Promise<void> {
    return this.checkTable();
  }

  async load(key: string, alias?: string): Promise<StoredSession | undefined> {
    const asked = { key, alias };
    const row = this.loads ? await this.loads.add(asked) : (await this.reads.rows([asked]))[0];
    if (!row) return undefined;
    const stored = this.reads.stored(row);
    if (row.session_key !== undefined && row.session_key !== key) stored.key = row.session_key;
    return stored;
  }

  async listByUser(userId: string, now: Date = new Date()): Promise<UserSessionRow[]> {
    const { records = [] } = await this.run(this.sql.listByUser, [userId, this.utc(now)]);
    return (records as LoadedRow[]).map((row) => ({ key: row.session_key!, ...this.reads.stored(row) }));
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    const row = this.newRow(key, record);
    const failure = this.inserts ? await this.inserts.add(row) : (await this.batches.insertRows([row]))[0];
    if (failure) throw failure;
  }

  update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    const row = { ...this.newRow(key, record), version };
    return this.updates ? this.updates.add(row) : this.batches.updateRow(row);
  }

  async delete(key: string, version?: number): Promise<boolean> {
    const { affected } = await (version === undefined
      ? this.run(this.sql.delete, [key])
      : this.run(this.sql.deleteAtVersion, [key, version]));
    return (affected ?? 0) > 0;
  }

  async exists(key: string): Promise<boolean> {
    const { records } = await this.run(this.sql.exists, [key, this.utc(new Date())]);
    return (records?.length ?? 0) > 0;
  }

  async clearExpired(now: Date = new Date(), limit?: number): Promise<number> {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new RangeError(`clearExpired() takes a whole number of rows above 0 as limit, got ${limit}`);
    }
    const sql = limit === undefined ? this.sql.clearExpired : this.sql.clearExpiredBatch(limit);
    const { affected } = await this.run(sql, [this.utc(now)]);
    return affected ?? 0;
  }

  /** Deletes expired rows in batches of about `batchSize` (see {@link clearExpiredRows}). */
  clearExpiredInBatches(now: Date, batchSize: number): AsyncIterable<number> {
    return clearExpiredRows(this, this.dataSource, this.sql.sweep, now, this.utc(now), batchSize);
  }

  async count(now: Date = new Date()): Promise<SessionCounts> {
    const [expired, all] = await Promise.all([
      this.run(this.sql.countExpired, [this.utc(now)]),
      this.run(this.sql.countAll, []),
    ]);
    const number = (result: StatementResult) => Number((result.records?.[0] as { n: unknown }).n);
    return { live: number(all) - number(expired), expired: number(expired) };
  }

  async renew(key: string, renewal: SessionRenewal): Promise<boolean> {
    try {
      const { graceUntil, record } = renewal;
      const when = { graceUntil: this.utc(graceUntil), now: this.utc(new Date()), expires: this.utc(record.expiresAt) };
      const { affected } = await this.run(this.sql.renew, renewParameters(key, renewal, when));
      return (affected ?? 0) > 0;
    } catch (error) {
      // The new key taken (a broken random source): no renewal this time.
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  private newRow(key: string, record: SessionRecord): NewRow {
    return { key, data: record.data, expires: this.utc(record.expiresAt), info: infoValues(record.info, this.utc) };
  }

  // Both made on first use: the driver's pool exists once the data source is initialised.
  private run(sql: string, parameters: unknown[]): Promise<StatementResult> {
    this.runner ??= createStatementRunner(this.dataSource, this.statementTimeout);
    return this.runner(sql, parameters);
  }

  private transaction(): TransactionRunner {
    this.transactionRunner ??= createTransactionRunner(this.dataSource, this.statementTimeout);
    if (!this.transactionRunner) throw new Error('Grouped updates need MySQL or MariaDB');
    return this.transactionRunner;
  }
}
