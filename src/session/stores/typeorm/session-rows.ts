import type { DataSource, EntityMetadata } from 'typeorm';
import type { SessionInfo, SessionRenewal } from '../session-store.interface.js';
import { isPostgres } from './database-type.js';

/** A row to insert, its times already written as the database takes them (see {@link timeWriter}). */
export interface NewRow {
  key: string;
  data: string;
  expires: string;
  /** The values of {@link INFO_COLUMNS}, in their order. */
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

/** The escaped names of the table and the columns a save writes, for the grouped UPDATEs. */
export interface WrittenNames {
  table: string;
  key: string;
  data: string;
  expires: string;
  version: string;
  /** The columns of {@link INFO_COLUMNS}, in their order. */
  info: string[];
}

/** A record's info as the columns take it, times written by `time`; all `NULL` without one. */
export function infoValues(info: SessionInfo | undefined, time: (date: Date) => string): InfoValues {
  if (!info) return [null, null, null, null, null];
  return [info.userId, time(info.createdAt), time(info.lastSeenAt), info.ip, info.userAgent];
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
 * The parameters of `renew`: the new key and data, the alias of the old key and the end of its
 * grace, the time of the renewal, the expiry the data is signed for; the old key and version.
 */
export function renewParameters(
  key: string,
  { newKey, record, alias, version }: SessionRenewal,
  times: { graceUntil: string; now: string; expires: string },
): unknown[] {
  return [newKey, record.data, alias, times.graceUntil, times.now, times.expires, key, version];
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: what DATETIME(3) and SQLite's datetime text both take. */
export function utc(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/**
 * How the store writes a time for `dataSource`: UTC text, which a DATETIME or SQLite's text
 * keeps as it is; on PostgreSQL with its zone (ISO 8601), since a `timestamptz` would read text
 * without one in the session's time zone.
 */
export function timeWriter(dataSource: DataSource): (date: Date) => string {
  return isPostgres(dataSource.options.type) ? (date) => date.toISOString() : utc;
}

/**
 * Reads the expiry back exactly as written: UTC text (MySQL's DATE_FORMAT, PostgreSQL's
 * to_char, SQLite's own text) is parsed as UTC whatever the driver's time zone setting, since a
 * row's signature covers its expiry to the millisecond. Other drivers' values go through
 * TypeORM's own hydration.
 */
export function expiryReader(dataSource: DataSource, meta: EntityMetadata): (value: unknown) => Date {
  const column = meta.findColumnWithPropertyName('expireDate')!;
  return (value) => {
    if (typeof value === 'string') return new Date(`${value.slice(0, 23).replace(' ', 'T')}Z`);
    return dataSource.driver.prepareHydratedValue(value, column) as Date;
  };
}
