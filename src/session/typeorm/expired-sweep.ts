import type { DataSource } from 'typeorm';

/** The escaped names the sweep needs. */
export interface SweepTable {
  table: string;
  key: string;
  expires: string;
}

/**
 * Deletes the rows expired at `now` (a UTC text) by walking the primary key in ranges of
 * `batchSize` rows: one short `DELETE` per range, yielding how many each removed.
 *
 * For MySQL/MariaDB when most rows have expired. Deleting through the `expire_date` index then
 * visits the clustered (key-ordered) rows in random order, several times slower than the full
 * scan a single `DELETE` makes; walking the key keeps the reads sequential. Each range is deleted
 * in a READ COMMITTED transaction, so InnoDB locks only the expired rows it removes — no gap
 * locks, no live rows — and requests that create or change sessions meanwhile do not wait.
 */
export async function* sweepExpiredByKey(
  dataSource: DataSource,
  { table, key, expires }: SweepTable,
  now: string,
  batchSize: number,
): AsyncIterable<number> {
  const nextBound = `SELECT ${key} AS bound FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT 1 OFFSET ${batchSize - 1}`;
  const deleteRange = `DELETE FROM ${table} WHERE ${key} > ? AND ${key} <= ? AND ${expires} <= ?`;
  const deleteRest = `DELETE FROM ${table} WHERE ${key} > ? AND ${expires} <= ?`;
  const runner = dataSource.createQueryRunner();
  try {
    let after = '';
    for (;;) {
      const { records } = await runner.query(nextBound, [after], true);
      const bound = (records?.[0] as { bound: string } | undefined)?.bound;
      await runner.startTransaction('READ COMMITTED');
      let affected: number | undefined;
      try {
        ({ affected } = await runner.query(
          bound ? deleteRange : deleteRest,
          bound ? [after, bound, now] : [after, now],
          true,
        ));
        await runner.commitTransaction();
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
      yield affected ?? 0;
      if (!bound) return;
      after = bound;
    }
  } finally {
    await runner.release();
  }
}
