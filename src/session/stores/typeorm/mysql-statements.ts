import { INFO_COLUMNS, type ChangedRow, type WrittenNames } from './session-rows.js';

/**
 * One UPDATE of `count` rows, each saved only at its own version: one CASE per written column
 * (data, expiry, then each info column), then the key list and the version CASE, the order of
 * {@link mysqlUpdateManyParameters}. `next` is the new version; `p` a placeholder.
 */
export function mysqlUpdateMany(
  { table, key, data, expires, version, info }: WrittenNames,
  next: string,
  p: (index: number) => string,
): (count: number) => string {
  const list = (from: number, count: number) => Array.from({ length: count }, (_, i) => p(from + i)).join(', ');
  return (count) => {
    const each = (from: number) =>
      Array.from({ length: count }, (_, i) => `WHEN ${p(from + 2 * i)} THEN ${p(from + 2 * i + 1)}`).join(' ');
    const set = [data, expires, ...info].map((name, c) => `${name} = CASE ${key} ${each(2 * count * c)} END`);
    const columns = 2 + info.length;
    return (
      `UPDATE ${table} SET ${set.join(', ')}, ${version} = ${next} ` +
      `WHERE ${key} IN (${list(2 * count * columns, count)}) ` +
      `AND ${version} = CASE ${key} ${each(2 * count * columns + count)} END`
    );
  };
}

/**
 * The parameters of {@link mysqlUpdateMany}, in the order of its placeholders: the data CASE,
 * the expiry CASE, a CASE per info column, the key list, the version CASE.
 */
export function mysqlUpdateManyParameters(rows: ChangedRow[]): unknown[] {
  return [
    ...rows.flatMap((row) => [row.key, row.data]),
    ...rows.flatMap((row) => [row.key, row.expires]),
    ...INFO_COLUMNS.flatMap((_, c) => rows.flatMap((row) => [row.key, row.info[c]])),
    ...rows.map((row) => row.key),
    ...rows.flatMap((row) => [row.key, row.version]),
  ];
}
