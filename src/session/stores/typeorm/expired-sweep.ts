import type { DataSource } from 'typeorm';
import { clearExpiredByLimit } from '../clear-expired-by-limit.js';
import type { SessionStore } from '../session-store.interface.js';

/** Above this share of expired rows, a MySQL cleanup walks the key instead of the expiry index. */
const SWEEP_SHARE = 0.2;

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

/**
 * Deletes the rows of `store` expired at `now` (`nowText` as its statements take it) in batches
 * of about `batchSize`: through the `expire_date` index, or, on MySQL/MariaDB (where `sweep` is
 * given) when at least a fifth of the rows have expired, along the primary key (see
 * {@link sweepExpiredByKey}).
 */
export async function* clearExpiredRows(
  store: Pick<SessionStore, 'clearExpired' | 'count'>,
  dataSource: DataSource,
  sweep: SweepTable | undefined,
  now: Date,
  nowText: string,
  batchSize: number,
): AsyncIterable<number> {
  if (sweep) {
    const { live, expired } = await store.count(now);
    if (expired === 0) return;
    if (expired >= SWEEP_SHARE * (live + expired)) {
      yield* sweepExpiredByKey(dataSource, sweep, nowText, batchSize);
      return;
    }
  }
  yield* clearExpiredByLimit(store, now, batchSize);
}
