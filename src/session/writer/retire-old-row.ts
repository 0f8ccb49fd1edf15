import type { SessionData } from '../dictionary/json-value.js';
import { applySessionChanges, type SessionChanges } from '../dictionary/session-merge.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { RowState, SavedRow } from '../rows/session-row.js';
import type { SessionRows } from '../rows/session-rows.js';
import { nextSessionVersion } from '../stores/session-store.interface.js';
import { rowToWrite, type WriteMoment } from './row-to-write.js';
import { SessionConflictError, SessionDataTooLargeError } from '../session.errors.js';

/** A login's rows: the old one to retire, the new one that must hold every write it got. */
export interface Retirement {
  old: string;
  /** The old row as last known. */
  current: RowState;
  /** The new row, updated here when newer writes are carried over. */
  moved: SavedRow;
  /** The old row's version whose data `moved` holds. */
  includes: number;
  /** The login request's own changes, applied on top of what is carried over. */
  changes: SessionChanges;
  /** The login's write: the new row's start, time and client. */
  moment: WriteMoment;
}

// Tries before giving up, when other processes keep writing the old row.
const MAX_RETIRE_ATTEMPTS = 10;

/**
 * Deletes the old row of a login (`cycleKey()`) if it is still at the version the new row
 * includes; else first carries the newer writes into the new row (with the login's own changes
 * on top) and tries again — so that no write answered 2xx meanwhile is lost. A row gone already
 * (another request ended the old session) leaves the new one standing.
 */
export async function retireOldRow(
  rows: SessionRows,
  options: ResolvedSessionOptions,
  login: Retirement,
): Promise<undefined> {
  let { current, includes, old } = login;
  const { moved, changes } = login;
  for (let attempt = 1; ; attempt++) {
    if (current.version !== includes) {
      const data = applySessionChanges(JSON.parse(current.json) as SessionData, changes);
      const json = JSON.stringify(data);
      SessionDataTooLargeError.check(json, options.maxDataSize);
      const terms = rowToWrite(options, data, login.moment);
      if (!(await rows.update(moved.key, json, terms.expiresAt, moved.version, terms.info))) {
        throw new SessionConflictError();
      }
      Object.assign(moved, { json, version: nextSessionVersion(moved.version), merged: true, data, ...terms });
      includes = current.version;
    }
    if (await rows.delete(old, current.version)) return undefined;
    const newer = await rows.readLive(old);
    if (newer === undefined) return undefined;
    // A renewal gave the old row a new key meanwhile: that is the row to retire.
    if (newer.movedTo) old = newer.movedTo;
    if (attempt === MAX_RETIRE_ATTEMPTS) throw new SessionConflictError();
    current = newer;
  }
}
