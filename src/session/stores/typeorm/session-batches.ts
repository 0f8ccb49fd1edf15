import { SessionKeyTakenError } from '../session-store.interface.js';
import { isDuplicateKey, isLockConflict } from './driver-errors.js';
import type { StatementRunner, TransactionRunner } from './statement-result.js';
import { newRowParameters, updateParameters, type ChangedRow, type NewRow } from './session-rows.js';
import type { Statements } from './session-statements.js';

/**
 * The most session data, in characters, one multi-row INSERT carries, so that it stays well
 * under MySQL's smallest default `max_allowed_packet` (4 MiB) whatever the text's encoding.
 */
const MAX_BATCH_CHARS = 1 << 19;
/**
 * The fewest updates worth a group. On MySQL/MariaDB the group takes three statements (START,
 * UPDATE, COMMIT) on one connection, where fewer updates go as one statement each, side by side;
 * on PostgreSQL it is one statement.
 */
const MIN_UPDATE_BATCH = { transaction: 4, statement: 2 };

/**
 * Writes the rows of many sessions in few statements: the inserts of one turn as multi-row
 * INSERTs, its updates as one UPDATE (on MySQL/MariaDB in a transaction). Each row still learns
 * its own outcome exactly.
 */
export class SessionBatches {
  constructor(
    private readonly sql: Statements,
    private readonly run: StatementRunner,
    private readonly transaction: () => TransactionRunner,
  ) {}

  /**
   * Inserts `rows` in as few statements as their size allows; resolves, per row, the error its
   * `create()` must throw, if any.
   */
  async insertRows(rows: NewRow[]): Promise<(Error | undefined)[]> {
    const groups = groupBySize(rows, MAX_BATCH_CHARS);
    const outcomes = await Promise.all(
      groups.map((group) => this.insertGroup(group).catch((error: Error) => group.map(() => error))),
    );
    return outcomes.flat();
  }

  /** Saves one row over the one of its version; whether that version still held. */
  async updateRow(row: ChangedRow): Promise<boolean> {
    const { affected } = await this.run(this.sql.update, updateParameters(row));
    return (affected ?? 0) > 0;
  }

  /**
   * Saves `rows`, resolving per row whether its version still held. Several rows of distinct keys
   * go as one UPDATE. PostgreSQL names the rows it saved. MySQL/MariaDB tell how many rows an
   * UPDATE changed, not which, so there it runs in a transaction kept only if every row's version
   * held: when one row lost to another request, the whole group is rolled back and each row goes
   * again alone to learn its own outcome.
   */
  async updateRows(rows: ChangedRow[]): Promise<boolean[]> {
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
    const fewest = MIN_UPDATE_BATCH[this.sql.updateManyNamesRows ? 'statement' : 'transaction'];
    await Promise.all([
      ...groupBySize(distinct, MAX_BATCH_CHARS).map(async (group) => {
        const saved = group.length >= fewest ? await this.updateGroup(group) : undefined;
        if (saved) group.forEach((row, i) => outcomes.set(row, saved[i]));
        else await Promise.all(group.map(saveAlone));
      }),
      ...repeated.map(saveAlone),
    ]);
    return rows.map((row) => outcomes.get(row)!);
  }

  /**
   * One statement for all of `rows` when no key is taken. A taken key fails the whole statement
   * (which then stores nothing), so the rows go again one by one to find out which.
   */
  private async insertGroup(rows: NewRow[]): Promise<(Error | undefined)[]> {
    if (rows.length > 1) {
      try {
        await this.run(this.sql.insertMany(rows.length), rows.flatMap(newRowParameters));
        return rows.map(() => undefined);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    return Promise.all(
      rows.map((row) =>
        this.run(this.sql.insert, newRowParameters(row)).then(
          () => undefined,
          (error: unknown) => (isDuplicateKey(error) ? new SessionKeyTakenError() : (error as Error)),
        ),
      ),
    );
  }

  /**
   * One UPDATE for all of `rows` (distinct keys); resolves whether each was saved, or nothing
   * when the group tells nothing of its rows (rolled back), which then go alone.
   */
  private async updateGroup(rows: ChangedRow[]): Promise<boolean[] | undefined> {
    const sql = this.sql.updateMany(rows.length);
    const parameters = this.sql.updateManyParameters(rows);
    try {
      if (this.sql.updateManyNamesRows) {
        const { records = [] } = await this.run(sql, parameters);
        const saved = new Set((records as { session_key: string }[]).map((row) => row.session_key));
        return rows.map((row) => saved.has(row.key));
      }
      const kept = await this.transaction()(async (run) => (await run(sql, parameters)).affected === rows.length);
      return kept ? rows.map(() => true) : undefined;
    } catch (error) {
      // Another transaction holding one of the rows is no failure of the save: alone, each
      // row takes its turn.
      if (isLockConflict(error)) return undefined;
      throw error;
    }
  }
}

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
