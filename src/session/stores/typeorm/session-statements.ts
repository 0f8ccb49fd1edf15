import type { DataSource, EntityMetadata } from 'typeorm';
import { MAX_SESSION_VERSION } from '../session-store.interface.js';
import { isEmbedded, isMysql, isPostgres } from './database-type.js';
import type { SweepTable } from './expired-sweep.js';
import { mysqlUpdateMany, mysqlUpdateManyParameters } from './mysql-statements.js';
import {
  postgresBatchDelete,
  postgresTimeText,
  postgresUpdateMany,
  postgresUpdateManyParameters,
} from './postgres-statements.js';
import { INFO_COLUMNS, timeWriter, type ChangedRow } from './session-rows.js';
import type { SessionRow } from './session.entity.js';

/** The store's SQL, built once per data source from the entity's metadata. */
export interface Statements {
  load: string;
  /** A SELECT of up to `count` keys at once, naming each row's key. */
  loadMany: (count: number) => string;
  /**
   * The parameters of `load` (one key) or `loadMany` (several), with the alias each key may
   * answer to after a renewal (`null`: none), at `now` (written by `time`).
   */
  loadParameters: (keys: string[], aliases: (string | null)[], now: string) => unknown[];
  exists: string;
  insert: string;
  /** An INSERT of `count` rows in one statement. */
  insertMany: (count: number) => string;
  update: string;
  /**
   * An UPDATE of `count` rows of distinct keys in one statement, each saved only at its own
   * version, with the parameters of `updateManyParameters`. On PostgreSQL it names the key of
   * each row it saved (`updateManyNamesRows`); on MySQL/MariaDB, which tell only how many rows
   * changed, it runs in a transaction.
   */
  updateMany: (count: number) => string;
  updateManyParameters: (rows: ChangedRow[]) => unknown[];
  updateManyNamesRows: boolean;
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
  /** A time as these statements take it. */
  time: (date: Date) => string;
}

/**
 * The store's SQL for the entity `meta`. With `renewedKeys`, loads also find a row by the key a
 * renewal replaced, while its grace lasts; without (no renewals), they look at the key alone.
 */
export function buildStatements(dataSource: DataSource, meta: EntityMetadata, renewedKeys = true): Statements {
  const { driver } = dataSource;
  const type = dataSource.options.type;
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
  const names = { table, key, data, expires, version, info };

  const p = (index: number) => driver.createParameter(`p${index}`, index);
  const expired = `${expires} <= ${p(0)}`;
  // MySQL hands DATETIME out in the connection's time zone, pg a Date in the process's; as UTC
  // text it is exactly what was written.
  const timeOut = (time: string) =>
    isMysql(type) ? `DATE_FORMAT(${time}, '%Y-%m-%d %H:%i:%s.%f')` : isPostgres(type) ? postgresTimeText(time) : time;
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
    updateMany: memoize((isPostgres(type) ? postgresUpdateMany : mysqlUpdateMany)(names, next, p)),
    updateManyParameters: isPostgres(type) ? postgresUpdateManyParameters : mysqlUpdateManyParameters,
    updateManyNamesRows: isPostgres(type),
    delete: `DELETE FROM ${table} WHERE ${key} = ${p(0)}`,
    deleteAtVersion: `DELETE FROM ${table} WHERE ${key} = ${p(0)} AND ${version} = ${p(1)}`,
    clearExpired: `DELETE FROM ${table} WHERE ${expired}`,
    clearExpiredBatch: batchDelete(type, table, expired),
    countExpired: `SELECT COUNT(*) AS n FROM ${table} WHERE ${expired}`,
    countAll: `SELECT COUNT(*) AS n FROM ${table}`,
    listByUser: `SELECT ${key} AS session_key, ${selected} FROM ${table} WHERE ${user} = ${p(0)} AND ${expires} > ${p(1)}`,
    sweep: isMysql(type) ? { table, key, expires } : undefined,
    time: timeWriter(dataSource),
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
  if (isPostgres(type)) return postgresBatchDelete(table, where);
  if (!isEmbedded(type)) return () => `DELETE FROM ${table} WHERE ${where}`;
  return (limit) => `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${limit})`;
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
