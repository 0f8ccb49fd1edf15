import { INFO_COLUMNS, type ChangedRow, type WrittenNames } from './session-rows.js';

/** The type of each info column, for the first row of a VALUES list, which types the others. */
const INFO_TYPES: Record<(typeof INFO_COLUMNS)[number], string> = {
  userId: 'varchar',
  createdAt: 'timestamptz',
  lastSeenAt: 'timestamptz',
  clientIp: 'varchar',
  userAgent: 'varchar',
};

/** A time as UTC text, whatever the session's time zone, as the store writes it. */
export const postgresTimeText = (time: string): string =>
  `to_char(${time} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`;

/**
 * One UPDATE of `count` rows, each saved only at its own version, naming the key of each row it
 * saved: `UPDATE … FROM (VALUES …)`. `next` is the new version; `p` a placeholder.
 */
export function postgresUpdateMany(
  { table, key, data, expires, version, info }: WrittenNames,
  next: string,
  p: (index: number) => string,
): (count: number) => string {
  const perRow = 4 + info.length;
  const types = ['varchar', 'text', 'timestamptz', ...INFO_COLUMNS.map((name) => INFO_TYPES[name]), 'int'];
  const names = ['k', 'd', 'e', ...info.map((_, i) => `i${i}`), 'v'];
  const set = [data, expires, ...info].map((column, i) => `${column} = u.${names[i + 1]}`);
  return (count) => {
    const rows = Array.from(
      { length: count },
      (_, r) => `(${types.map((type, c) => p(r * perRow + c) + (r === 0 ? `::${type}` : '')).join(', ')})`,
    );
    return (
      `UPDATE ${table} SET ${set.join(', ')}, ${version} = ${next} ` +
      `FROM (VALUES ${rows.join(', ')}) AS u (${names.join(', ')}) ` +
      `WHERE ${table}.${key} = u.k AND ${table}.${version} = u.v RETURNING ${table}.${key} AS session_key`
    );
  };
}

/**
 * The parameters of {@link postgresUpdateMany}: each row's key, data, expiry, info and version.
 * Rows go in key order, so that two servers saving the same sessions lock them in one order.
 */
export function postgresUpdateManyParameters(rows: ChangedRow[]): unknown[] {
  return [...rows]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .flatMap((row) => [row.key, row.data, row.expires, ...row.info, row.version]);
}

/**
 * A DELETE of at most `limit` rows matching `where`. Rows another cleanup or a save holds are
 * skipped, not waited for, so that servers can clear at once; the rows are found by their
 * physical address (`ctid`), the quickest way back to a row just read.
 */
export function postgresBatchDelete(table: string, where: string): (limit: number) => string {
  return (limit) =>
    `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(` +
    `SELECT ctid FROM ${table} WHERE ${where} LIMIT ${limit} FOR UPDATE SKIP LOCKED)) AND ${where}`;
}
