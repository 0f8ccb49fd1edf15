import type { DataSource, EntityMetadata } from 'typeorm';
import { MAX_SESSION_VERSION } from '../session-store.interface.js';
import { isEmbedded, isMysql } from './database-type.js';
import type { SweepTable } from './expired-sweep.js';
import type { SessionRow } from './session.entity.js';

/** A row to insert, its expiry already in UTC text. */
export interface NewRow {
  key: string;
  data: string;
  expires: string;
  /** The values of {@link INFO_COLUMNS}, in their order (times as UTC text). */
  info: InfoValues;
}

/** The columns of a row's `SessionInfo`, as entity properties, in the order statements take them. */
export const INFO_COLUMNS = ['userId', 'createdAt', 'lastSeenAt', 'clientIp', 'userAgent'] as const;
export type InfoValues = [string | null, string | null, string | null, string | null, string | null];

/** A row to save over the one of `version`. */
export interface ChangedRow extends NewRow {
  version: number;
}

/** A row as the load statements give it back. */
export interface LoadedRow {
  session_key?: string;
  session_data: string;
  expire_date: unknown;
  version: number | string;
  user_id: string | null;
  created_at: unknown;
  last_seen_at: unknown;
  client_ip: string | null;
  user_agent: string | null;
  key_issued_at: unknown;
  previous_key: string | null;
  previous_until: unknown;
}

/** The store's SQL, built once per data source from the entity's metadata. */
export interface Statements {
  load: string;
  /** A SELECT of up to `count` keys at once, naming each row's key. */
  loadMany: (count: number) => string;
  /**
   * The parameters of `load` (one key) or `loadMany` (several), with the alias each key may
   * answer to after a renewal (`null`: none), at `now` (UTC text).
   */
  loadParameters: (keys: string[], aliases: (string | null)[], now: string) => unknown[];
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
  /** The live rows of a user, naming each row's key. */
  listByUser: string;
  /** Gives a row a new key at its version, keeping the old one for a grace. */
  renew: string;
  /** Names for the key-ordered sweep; set on MySQL/MariaDB only. */
  sweep?: SweepTable;
}

/**
 * The store's SQL for the entity `meta`. With `renewedKeys`, loads also find a row by the key a
 * renewal replaced, while its grace lasts; without (no renewals), they look at the key alone.
 */
export function buildStatements(dataSource: DataSource, meta: EntityMetadata, renewedKeys = true): Statements {
  const { driver } = dataSource;
  const table = driver.escape(meta.tableName);
  const column = (property: keyof SessionRow) => driver.escape(meta.findColumnWithPropertyName(property)!.databaseName);
  const [key, data, expires, version] = [
    column('sessionKey'),
    column('sessionData'),
    column('expireDate'),
    column('version'),
  ];
  const info = INFO_COLUMNS.map(column);
  const [user, created, seen, ip, agent] = info;
  const [issued, previous, previousUntil] = [column('keyIssuedAt'), column('previousKey'), column('previousUntil')];

  const p = (index: number) => driver.createParameter(`p${index}`, index);
  const expired = `${expires} <= ${p(0)}`;
  // MySQL hands DATETIME out in the connection's time zone; as text it is exactly what was written.
  const timeOut = (time: string) =>
    isMysql(dataSource.options.type) ? `DATE_FORMAT(${time}, '%Y-%m-%d %H:%i:%s.%f')` : time;
  const selected =
    `${data} AS session_data, ${timeOut(expires)} AS expire_date, ${version} AS version, ` +
    `${user} AS user_id, ${timeOut(created)} AS created_at, ${timeOut(seen)} AS last_seen_at, ` +
    `${ip} AS client_ip, ${agent} AS user_agent, ${timeOut(issued)} AS key_issued_at, ${previous} AS previous_key, ` +
    `${timeOut(previousUntil)} AS previous_until`;
  const written = [key, data, expires, version, ...info].join(', ');
  // The placeholders of one new row from parameter `from` on: key, data, expiry, version 0, info.
  const newRow = (from: number) => `(${list(from, 3)}, 0, ${list(from + 3, info.length)})`;
  const perNewRow = 3 + info.length;
  // Wraps instead of overflowing the column (see nextSessionVersion).
  const next = `CASE WHEN ${version} >= ${MAX_SESSION_VERSION} THEN 0 ELSE ${version} + 1 END`;
  const list = (from: number, count: number) => Array.from({ length: count }, (_, i) => p(from + i)).join(', ');
  return {
    // With renewals a row answers to its key, and to the alias of the key a renewal replaced
    // while that one's grace lasts: parameters (key, alias, now, now), and (…keys, …aliases, now, now).
    load: renewedKeys
      ? `SELECT ${key} AS session_key, ${selected} FROM ${table} WHERE (${key} = ${p(0)} OR ` +
        `(${previous} = ${p(1)} AND ${previousUntil} > ${p(2)})) AND ${expires} > ${p(3)}`
      : `SELECT ${key} AS session_key, ${selected} FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    loadMany: memoize((count) =>
      renewedKeys
        ? `SELECT ${key} AS session_key, ${selected} FROM ${table} WHERE (${key} IN (${list(0, count)}) OR ` +
          `(${previous} IN (${list(count, count)}) AND ${previousUntil} > ${p(2 * count)})) AND ${expires} > ${p(2 * count + 1)}`
        : `SELECT ${key} AS session_key, ${selected} FROM ${table} WHERE ${key} IN (${list(0, count)}) AND ${expires} > ${p(count)}`,
    ),
    loadParameters: renewedKeys
      ? (keys, aliases, now) => [...keys, ...aliases, now, now]
      : (keys, _aliases, now) => [...keys, now],
    renew:
      `UPDATE ${table} SET ${key} = ${p(0)}, ${data} = ${p(1)}, ${previous} = ${p(2)}, ${previousUntil} = ${p(3)}, ` +
      `${issued} = ${p(4)}, ${expires} = ${p(5)}, ${version} = ${next} WHERE ${key} = ${p(6)} AND ${version} = ${p(7)}`,
    exists: `SELECT 1 AS found FROM ${table} WHERE ${key} = ${p(0)} AND ${expires} > ${p(1)}`,
    insert: `INSERT INTO ${table} (${written}) VALUES ${newRow(0)}`,
    insertMany: memoize(
      (count) =>
        `INSERT INTO ${table} (${written}) VALUES ` +
        Array.from({ length: count }, (_, i) => newRow(perNewRow * i)).join(', '),
    ),
    update:
      `UPDATE ${table} SET ${data} = ${p(0)}, ${expires} = ${p(1)}, ` +
      info.map((name, i) => `${name} = ${p(2 + i)}, `).join('') +
      `${version} = ${next} WHERE ${key} = ${p(2 + info.length)} AND ${version} = ${p(3 + info.length)}`,
    updateMany: memoize((count) => {
      const each = (from: number) =>
        Array.from({ length: count }, (_, i) => `WHEN ${p(from + 2 * i)} THEN ${p(from + 2 * i + 1)}`).join(' ');
      // One CASE per written column (data, expiry, then each info column), then the key list and
      // the version CASE: the order of updateManyParameters.
      const set = [data, expires, ...info].map((name, c) => `${name} = CASE ${key} ${each(2 * count * c)} END`);
      const columns = 2 + info.length;
      return (
        `UPDATE ${table} SET ${set.join(', ')}, ${version} = ${next} ` +
        `WHERE ${key} IN (${list(2 * count * columns, count)}) ` +
        `AND ${version} = CASE ${key} ${each(2 * count * columns + count)} END`
      );
    }),
    delete: `DELETE FROM ${table} WHERE ${key} = ${p(0)}`,
    deleteAtVersion: `DELETE FROM ${table} WHERE ${key} = ${p(0)} AND ${version} = ${p(1)}`,
    clearExpired: `DELETE FROM ${table} WHERE ${expired}`,
    clearExpiredBatch: batchDelete(dataSource.options.type, table, expired),
    countExpired: `SELECT COUNT(*) AS n FROM ${table} WHERE ${expired}`,
    countAll: `SELECT COUNT(*) AS n FROM ${table}`,
    listByUser: `SELECT ${key} AS session_key, ${selected} FROM ${table} WHERE ${user} = ${p(0)} AND ${expires} > ${p(1)}`,
    sweep: isMysql(dataSource.options.type) ? { table, key, expires } : undefined,
  };
}

/**
 * The parameters of `updateMany(rows.length)`, in the order of its placeholders: the data CASE,
 * the expiry CASE, a CASE per info column, the key list, the version CASE.
 */
export function updateManyParameters(rows: ChangedRow[]): unknown[] {
  return [
    ...rows.flatMap((row) => [row.key, row.data]),
    ...rows.flatMap((row) => [row.key, row.expires]),
    ...INFO_COLUMNS.flatMap((_, c) => rows.flatMap((row) => [row.key, row.info[c]])),
    ...rows.map((row) => row.key),
    ...rows.flatMap((row) => [row.key, row.version]),
  ];
}

/** The parameters of `insert`/`insertMany` for `row`, in the order of its placeholders. */
export function newRowParameters(row: NewRow): unknown[] {
  return [row.key, row.data, row.expires, ...row.info];
}

/** The parameters of `update` for `row`. */
export function updateParameters(row: ChangedRow): unknown[] {
  return [row.data, row.expires, ...row.info, row.key, row.version];
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
  return (limit) =>
    `DELETE FROM ${table} WHERE ${rowId} IN (SELECT ${rowId} FROM ${table} WHERE ${where} LIMIT ${limit})`;
}

/** `build`, remembering its statements by size (one per batch size). */
function memoize(build: (count: number) => string): (count: number) => string {
  const built = new Map<number, string>();
  return (count) => {
    let sql = built.get(count);
    if (sql === undefined) built.set(count, (sql = build(count)));
    return sql;
  };
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: what DATETIME(3) and SQLite's datetime text both take. */
export function utc(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/**
 * Reads the expiry back exactly as written: UTC text (MySQL's DATE_FORMAT, SQLite's own text) is
 * parsed as UTC whatever the driver's time zone setting, since a row's signature covers its
 * expiry to the millisecond. Other drivers' values go through TypeORM's own hydration.
 */
export function expiryReader(dataSource: DataSource, meta: EntityMetadata): (value: unknown) => Date {
  const column = meta.findColumnWithPropertyName('expireDate')!;
  return (value) => {
    if (typeof value === 'string') return new Date(`${value.slice(0, 23).replace(' ', 'T')}Z`);
    return dataSource.driver.prepareHydratedValue(value, column) as Date;
  };
}
