import type { SessionData } from '../dictionary/json-value.js';
import { mergeChanges } from '../dictionary/session-merge.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { RowState, SavedRow } from '../rows/session-row.js';
import type { SessionRows } from '../rows/session-rows.js';
import type { Save } from './session-save.js';
import { nextSessionVersion } from '../stores/session-store.interface.js';
import { rowToWrite } from './row-to-write.js';
import {
  SessionConflictError,
  SessionDataTooLargeError,
  SessionInterruptedError,
  SessionMovedError,
} from '../session.errors.js';

// Saves of one session from this process never conflict (they queue); these bound the retries
// against other processes' saves, so that one busy session cannot keep the database busy.
const MAX_SAVE_ATTEMPTS = 10;
const MAX_BACKOFF_MS = 100;

/**
 * Writes the changes of `saves` onto the row `key` in one conditional UPDATE: onto `state`,
 * what this process last wrote there, else onto what the first save read. When another process
 * saved the row meanwhile, reads it and applies the changes again, a bounded number of times. A
 * row gone meanwhile (a logout) is never brought back: those saves get a 400; a row a renewal
 * moved throws {@link SessionMovedError}, for the saves to go again under its new key.
 */
export async function writeTurn(
  rows: SessionRows,
  options: ResolvedSessionOptions,
  key: string,
  saves: Save[],
  state: RowState | undefined,
): Promise<RowState | undefined> {
  let base = state;
  for (let attempt = 1; ; attempt++) {
    const live = saves.filter((save) => !save.settled);
    if (live.length === 0) return base;
    const from = base ?? live[0].update!.read;
    const { json, merged, data } = nextJson(options, from, live, base === undefined);
    if (!live.some((save) => !save.settled)) return base;
    // The latest save's client and times; the expiry and user of what is written, merges included.
    const latest = live[live.length - 1].update!;
    const terms = rowToWrite(options, data, latest.moment);
    if (await rows.update(key, json, terms.expiresAt, from.version, terms.info)) {
      const version = nextSessionVersion(from.version);
      const saved: SavedRow = { key, json, version, merged, ...terms, ...(merged && { data }) };
      settle(live, (save) => save.resolve(saved));
      return saved;
    }
    const newer = await rows.readLive(key);
    if (newer === undefined) throw new SessionInterruptedError();
    if (newer.movedTo) throw new SessionMovedError(newer.movedTo, newer);
    if (attempt === MAX_SAVE_ATTEMPTS) {
      settle(live, (save) => save.reject(new SessionConflictError()));
      return newer;
    }
    base = newer;
    // Other processes writing the same session: spread the retries (random exponential back-off, capped).
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt)));
  }
}

/** What the turn writes: a lone save's own dictionary as it read it, else the merge onto `from`. */
function nextJson(
  options: ResolvedSessionOptions,
  from: RowState,
  saves: Save[],
  fresh: boolean,
): { json: string; merged: boolean; data: Readonly<SessionData> } {
  const max = options.maxDataSize;
  const own = saves.length === 1 && fresh ? saves[0].update!.own : undefined;
  if (own) {
    const json = own.json();
    SessionDataTooLargeError.check(json, max);
    return { json, merged: false, data: own.data() };
  }
  const { data, json } = mergeChanges(
    from.json,
    saves.map((save) => save.update!.changes),
    max,
    (index, size) => {
      saves[index].settled = true;
      saves[index].reject(new SessionDataTooLargeError(size, max));
    },
  );
  return { json, merged: true, data };
}

/** Answers each save of `saves` not answered yet. */
export function settle(saves: readonly Save[], answer: (save: Save) => void): void {
  for (const save of saves) {
    if (save.settled) continue;
    save.settled = true;
    answer(save);
  }
}
