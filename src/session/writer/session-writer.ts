import { Inject, Injectable } from '@nestjs/common';
import { retireOldRow } from './retire-old-row.js';
import type { RowTerms, WriteMoment } from './row-to-write.js';
import type { SessionChanges } from '../dictionary/session-merge.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { DecodedRow, RowState, SavedRow } from '../rows/session-row.js';
import { SessionRows } from '../rows/session-rows.js';
import type { RowUpdate } from './session-save.js';
import { nextSessionVersion, type SessionCounts, type UserSessionRow } from '../stores/session-store.interface.js';
import { SessionDataTooLargeError, SessionMovedError, SessionStoreUnavailableError } from '../session.errors.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session.constants.js';
import { RowTurns } from './row-turns.js';

/** The row a login replaces: its key, its state as last known, and the login's own changes. */
export interface ReplacedRow {
  key: string;
  state: RowState;
  changes: SessionChanges;
}

/**
 * The only writer of session rows. Every write of a row takes its turn in the row's queue
 * ({@link RowTurns}): the updates waiting together go as one conditional UPDATE (other
 * processes' saves merged, a renewal's new key followed); refreshes, renewals, deletes and a
 * login's retirement of its old row run alone in their turn. Reads pass through to the rows.
 */
@Injectable()
export class SessionWriter {
  private readonly turns: RowTurns;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly rows: SessionRows,
  ) {
    this.turns = new RowTurns(rows, options);
  }

  /** Saves `update` over the row `key` (or where a renewal moved it), with the saves beside it. */
  async update(key: string, update: RowUpdate): Promise<SavedRow> {
    for (;;) {
      try {
        return await this.turns.update(key, update);
      } catch (error) {
        if (!(error instanceof SessionMovedError)) throw error;
        // On the row's new key only the changes apply, onto what that row holds now.
        ({ key } = error);
        update = { ...update, read: error.state, own: undefined };
      }
    }
  }

  /**
   * Rewrites the row `key` with its data as `read`, and `terms` (`saveEveryRequest`'s refresh),
   * unless the row changed since: the write that came first refreshed it. Whether it did.
   */
  async refresh(key: string, read: RowState, terms: RowTerms): Promise<boolean> {
    let refreshed = false;
    await this.turns.exclusive(key, async (state) => {
      // This process wrote the row since it was read: the refresh has lost already.
      if (state && state.version !== read.version) return state;
      if (!(await this.rows.update(key, read.json, terms.expiresAt, read.version, terms.info))) return undefined;
      refreshed = true;
      return { json: read.json, version: nextSessionVersion(read.version) };
    });
    return refreshed;
  }

  /**
   * Gives the row `key`, still as `read`, the key `newKey`; `key` keeps working until
   * `graceUntil`. A row changed meanwhile is left alone. Whether it was renewed.
   */
  async renew(key: string, read: RowState & { expiresAt: Date }, newKey: string, graceUntil: Date): Promise<boolean> {
    let renewed = false;
    await this.turns.exclusive(key, async (state) => {
      if (state && state.version !== read.version) return state;
      renewed = await this.rows.renew(key, newKey, read, graceUntil);
      // Renewed: the old key's queue knows nothing of the row any more.
      return renewed ? undefined : state;
    });
    return renewed;
  }

  /** Deletes the row `key` after the writes of it queued before; whether a row went. */
  async delete(key: string): Promise<boolean> {
    let deleted = false;
    await this.turns.exclusive(key, async () => {
      deleted = await this.rows.delete(key);
      return undefined;
    });
    return deleted;
  }

  /**
   * Removes a row that is never adopted (it failed verification, or outlived its absolute
   * timeout), unless it changed since it was read.
   */
  async removeUnusable(row: DecodedRow): Promise<void> {
    // A failure is logged by the rows; the row is still never adopted, and the next request tries again.
    await this.rows.delete(row.key, row.version).catch(() => undefined);
  }

  /**
   * A new row under `key` (or a fresh key while it is taken). With `replaced` (a login's
   * `cycleKey()`), the old row then goes — but only once the new row holds every write that
   * reached the old one, so that no write answered meanwhile is lost.
   */
  async create(
    key: string,
    json: string,
    terms: RowTerms,
    moment: WriteMoment,
    replaced?: ReplacedRow,
  ): Promise<SavedRow> {
    SessionDataTooLargeError.check(json, this.options.maxDataSize);
    key = await this.rows.insert(key, json, terms.expiresAt, terms.info);
    const made: SavedRow = { key, json, version: 0, merged: false, ...terms };
    if (!replaced) return made;
    const { state, changes } = replaced;
    try {
      await this.turns.exclusive(replaced.key, (current) =>
        retireOldRow(this.rows, this.options, {
          old: replaced.key,
          current: current ?? state,
          moved: made,
          includes: state.version,
          changes,
          moment,
        }),
      );
    } catch (error) {
      // The login did not happen: its new row must not linger as a second copy of the session.
      // After a store failure the old row may be gone already, and the new one is all there is.
      if (!(error instanceof SessionStoreUnavailableError)) void this.rows.delete(key).catch(() => undefined);
      throw error;
    }
    return made;
  }

  read(key: string): Promise<DecodedRow | undefined> {
    return this.rows.read(key);
  }

  exists(key: string): Promise<boolean> {
    return this.rows.exists(key);
  }

  count(now: Date): Promise<SessionCounts> {
    return this.rows.count(now);
  }

  listOfUser(userId: string): Promise<UserSessionRow[]> {
    return this.rows.listOfUser(userId);
  }

  clearExpired(now: Date, batchSize: number): AsyncIterable<number> {
    return this.rows.clearExpired(now, batchSize);
  }
}
