import type { DataSource, EntityMetadata } from 'typeorm';
import { clearExpiredByLimit } from '../clear-expired-by-limit.js';
import type {
  SessionCounts,
  SessionInfo,
  SessionRecord,
  SessionStore,
  StoredSession,
  UserSessionRow,
} from '../session-store.interface.js';
import { isEmbedded, isMysql } from './database-type.js';
import { isDuplicateKey } from './driver-errors.js';
import { sweepExpiredByKey } from './expired-sweep.js';
import { SessionBatches } from './session-batches.js';
import {
  buildStatements,
  expiryReader,
  utc,
  type ChangedRow,
  type InfoValues,
  type LoadedRow,
  type NewRow,
  type Statements,
} from './session-statements.js';
import type { StatementResult, StatementRunner, TransactionRunner } from './statement-result.js';
import { createStatementRunner, createTransactionRunner } from './statement-runner.js';
import { checkSessionTable, sessionMetadata } from './session-table.js';
import { DEFAULT_STATEMENT_TIMEOUT, type TypeOrmSessionStoreOptions } from './store-options.js';
import { TurnBatcher } from './turn-batcher.js';

/** A record's info as the columns take it; all `NULL` without one. */
function infoValues(info: SessionInfo | undefined): InfoValues {
  if (!info) return [null, null, null, null, null];
  return [info.userId, utc(info.createdAt), utc(info.lastSeenAt), info.ip, info.userAgent];
}

/** A key a load asks for, with the alias it may answer to after a renewal. */
interface KeyAsked {
  key: string;
  alias: string | undefined;
}

/** The most keys or rows one batched statement carries. */
const MAX_BATCH = 100;
/** Above this share of expired rows, a MySQL cleanup walks the key instead of the expiry index. */
const SWEEP_SHARE = 0.2;

/**
 * Keeps sessions in the table of a sessions entity (`SessionEntity`, or one of `sessionTable()`)
 * of a TypeORM data source (MySQL/MariaDB, SQLite, …).
 *
 * Each operation alone is one statement; operations that start in one turn share theirs (see
 * {@link TypeOrmSessionStoreOptions.batching}). The SQL is built once, from the entity's
 * metadata, and runs straight on the driver (see {@link createStatementRunner}), so the
 * per-request path does no query building; times are written as UTC text so the column holds UTC
 * whatever the driver's time zone setting.
 */
export class TypeOrmSessionStore implements SessionStore {
  private readonly meta: EntityMetadata;
  private readonly sql: Statements;
  private readonly readExpiry: (value: unknown) => Date;
  private readonly statementTimeout: number;
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
    this.readExpiry = expiryReader(dataSource, this.meta);
    this.batches = new SessionBatches(
      this.sql,
      (sql, parameters) => this.run(sql, parameters),
      () => this.transaction(),
    );
    if (options.batching ?? !isEmbedded(dataSource.options.type)) {
      this.loads = new TurnBatcher((keys) => this.loadRows(keys), MAX_BATCH);
      this.inserts = new TurnBatcher((rows) => this.batches.insertRows(rows), MAX_BATCH);
      if (isMysql(dataSource.options.type))
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
    const row = this.loads ? await this.loads.add(asked) : (await this.loadRows([asked]))[0];
    if (!row) return undefined;
    const stored = this.stored(row);
    if (row.session_key !== undefined && row.session_key !== key) stored.key = row.session_key;
    return stored;
  }

  async listByUser(userId: string, now: Date = new Date()): Promise<UserSessionRow[]> {
    const { records = [] } = await this.run(this.sql.listByUser, [userId, utc(now)]);
    return (records as LoadedRow[]).map((row) => ({ key: row.session_key!, ...this.stored(row) }));
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    const row = { key, data: record.data, expires: utc(record.expiresAt), info: infoValues(record.info) };
    const failure = this.inserts ? await this.inserts.add(row) : (await this.batches.insertRows([row]))[0];
    if (failure) throw failure;
  }

  update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    const row = { key, data: record.data, expires: utc(record.expiresAt), info: infoValues(record.info), version };
    return this.updates ? this.updates.add(row) : this.batches.updateRow(row);
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
      if (expired >= SWEEP_SHARE * (live + expired)) {
        yield* sweepExpiredByKey(this.dataSource, sweep, utc(now), batchSize);
        return;
      }
    }
    yield* clearExpiredByLimit(this, now, batchSize);
  }

  async count(now: Date = new Date()): Promise<SessionCounts> {
    const [expired, all] = await Promise.all([
      this.run(this.sql.countExpired, [utc(now)]),
      this.run(this.sql.countAll, []),
    ]);
    const number = (result: StatementResult) => Number((result.records?.[0] as { n: unknown }).n);
    return { live: number(all) - number(expired), expired: number(expired) };
  }

  async renew(
    key: string,
    newKey: string,
    record: SessionRecord,
    version: number,
    graceUntil: Date,
    alias: string,
  ): Promise<boolean> {
    const now = utc(new Date());
    try {
      const { affected } = await this.run(this.sql.renew, [
        newKey,
        record.data,
        alias,
        utc(graceUntil),
        now,
        // The data is signed for this expiry.
        utc(record.expiresAt),
        key,
        version,
      ]);
      return (affected ?? 0) > 0;
    } catch (error) {
      // The new key taken (a broken random source): no renewal this time.
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** A loaded row as the store contract gives it. */
  private stored(row: LoadedRow): StoredSession {
    const stored: StoredSession = {
      data: row.session_data,
      expiresAt: this.readExpiry(row.expire_date),
      version: Number(row.version),
    };
    if (row.key_issued_at !== null && row.key_issued_at !== undefined)
      stored.keyIssuedAt = this.readExpiry(row.key_issued_at);
    // Rows written before the info columns existed have none.
    if (row.created_at !== null && row.created_at !== undefined) {
      stored.info = {
        userId: row.user_id ?? null,
        createdAt: this.readExpiry(row.created_at),
        lastSeenAt: this.readExpiry(row.last_seen_at ?? row.created_at),
        ip: row.client_ip ?? null,
        userAgent: row.user_agent ?? null,
      };
    }
    return stored;
  }

  /** The live rows under the keys `asked`, in their order, else those their aliases name; one statement. */
  private async loadRows(asked: KeyAsked[]): Promise<(LoadedRow | undefined)[]> {
    const now = utc(new Date());
    const keys = asked.map(({ key }) => key);
    // No alias, no match: `previous_key = NULL` holds for no row.
    const aliases = asked.map(({ alias }) => alias ?? null);
    if (asked.length === 1) {
      const { records = [] } = await this.run(this.sql.load, this.sql.loadParameters(keys, aliases, now));
      // Its own row first, should the key also be another row's renewed one.
      const rows = records as LoadedRow[];
      const [{ key, alias }] = asked;
      return [rows.find((row) => row.session_key === key) ?? rows.find((row) => alias && row.previous_key === alias)];
    }
    const sql = this.sql.loadMany(asked.length);
    const { records = [] } = await this.run(sql, this.sql.loadParameters(keys, aliases, now));
    const byKey = new Map<string, LoadedRow>();
    const byAlias = new Map<string, LoadedRow>();
    const nowTime = Date.now();
    for (const row of records as LoadedRow[]) {
      byKey.set(row.session_key!, row);
      // A row answers to its alias only while the grace lasts.
      const graceLasts = row.previous_until != null && this.readExpiry(row.previous_until).getTime() > nowTime;
      if (row.previous_key && graceLasts) byAlias.set(row.previous_key, row);
    }
    return asked.map(({ key, alias }) => byKey.get(key) ?? (alias === undefined ? undefined : byAlias.get(alias)));
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
