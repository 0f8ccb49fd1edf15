import { Inject, Injectable } from '@nestjs/common';
import { DeadlineWatch } from './deadline-watch.js';
import { EXPIRY_KEY, expiryDate } from './session-expiry.js';
import { mergeChanges } from './session-merge.js';
import type { ResolvedSessionOptions } from './session-options.js';
import { SessionRows, type RowState } from './session-rows.js';
import type { RowUpdate, Save, SavedRow } from './session-save.js';
import { SessionSaveQueue } from './session-save-queue.js';
import { nextSessionVersion } from './session-store.interface.js';
import {
  SessionConflictError,
  SessionDataTooLargeError,
  SessionInterruptedError,
  SessionMovedError,
  SessionStoreUnavailableError,
} from './session.errors.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';
import { TimedStore } from './timed-store.js';
import type { SessionData } from './session-codec.js';
import { userIdFor } from './session-user.js';
import { AbsoluteTimeout } from './absolute-timeout.js';

// Saves of one session from this process never conflict (they queue); these bound the retries
// against other processes' saves, so that one busy session cannot keep the database busy.
const MAX_SAVE_ATTEMPTS = 10;
const MAX_BACKOFF_MS = 100;
// The most waiting saves of one session that one UPDATE carries.
const MAX_COALESCED = 1_000;

/**
 * Writes rows of existing sessions, one turn at a time per key ({@link SessionSaveQueue}): the
 * updates waiting together are applied in arrival order onto the newest state and written as
 * one conditional UPDATE; other processes' saves in between are merged, a bounded number of
 * times. A save still waiting `storeTimeout` after it was queued gets a 409 and never runs.
 */
@Injectable()
export class SessionWriter {
  private readonly queue = new SessionSaveQueue<Save, RowState>(
    (key, saves, state) => this.runTurn(key, saves, state),
    MAX_COALESCED,
  );
  private readonly deadlines: DeadlineWatch;
  private readonly absolute: AbsoluteTimeout;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly rows: SessionRows,
    private readonly store: TimedStore,
  ) {
    this.deadlines = new DeadlineWatch(options.storeTimeout, () => new SessionConflictError());
    this.absolute = new AbsoluteTimeout(options.absoluteTimeout);
  }

  /** Saves `update` over the row `key`, with the saves waiting beside it; resolves the row written. */
  update(key: string, update: RowUpdate): Promise<SavedRow> {
    return this.enqueue(key, { coalesces: true, update }) as Promise<SavedRow>;
  }

  /** Runs `run` alone in the queue of `key`, after the saves queued before it. */
  async exclusive(key: string, run: NonNullable<Save['run']>): Promise<void> {
    await this.enqueue(key, { coalesces: false, run });
  }

  private enqueue(key: string, work: Pick<Save, 'coalesces' | 'update' | 'run'>): Promise<SavedRow | undefined> {
    let save!: Save;
    const done = new Promise<SavedRow | undefined>((resolve, reject) => {
      // Every save of one shape, so that the queue's code stays monomorphic.
      save = {
        coalesces: work.coalesces,
        update: work.update,
        run: work.run,
        settled: false,
        started: false,
        resolve,
        reject,
      };
    });
    this.queue.add(key, save);
    return this.deadlines.watch(done, () => {
      save.settled = true;
      if (!save.started) return new SessionConflictError();
      this.store.logFailure(`no answer within ${this.options.storeTimeout} ms`);
      return new SessionStoreUnavailableError();
    });
  }

  /** One turn of a row's queue; answers every save in it, and resolves the row's state after. */
  private async runTurn(key: string, saves: Save[], state: RowState | undefined): Promise<RowState | undefined> {
    for (const save of saves) save.started = true;
    try {
      const run = saves[0].run;
      if (!run) return await this.writeTurn(key, saves, state);
      const after = await run(state);
      settle(saves, (save) => save.resolve(undefined));
      return after;
    } catch (error) {
      settle(saves, (save) => save.reject(error));
      return undefined;
    }
  }

  /**
   * Writes the changes of `saves` onto the row `key` in one conditional UPDATE: onto `state`,
   * what this process last wrote there, else onto what the first save read. When another
   * process saved the row meanwhile, reads it and applies the changes again. A row gone
   * meanwhile (a logout) is never brought back: those saves get a 400.
   */
  private async writeTurn(key: string, saves: Save[], state: RowState | undefined): Promise<RowState | undefined> {
    let base = state;
    for (let attempt = 1; ; attempt++) {
      const live = saves.filter((save) => !save.settled);
      if (live.length === 0) return base;
      const from = base ?? live[0].update!.read;
      const { json, expiresAt, merged, data } = this.next(from, live, base === undefined);
      if (!live.some((save) => !save.settled)) return base;
      // The latest save's client and times; the user of what is written, merges included.
      const latest = live[live.length - 1].update!.info;
      const info = data ? { ...latest, userId: userIdFor(data, this.options.userIdOf) } : latest;
      const written = this.absolute.cap(expiresAt, info.createdAt);
      if (await this.rows.update(key, json, written, from.version, info)) {
        const saved = { json, version: nextSessionVersion(from.version), merged, expiresAt: written, data };
        settle(live, (save) => save.resolve(saved));
        return saved;
      }
      const newer = await this.rows.readLive(key);
      if (newer === undefined) throw new SessionInterruptedError();
      // A renewal gave the row a new key: these saves go again there.
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
  private next(
    from: RowState,
    saves: Save[],
    fresh: boolean,
  ): { json: string; expiresAt: Date; merged: boolean; data?: SessionData } {
    const max = this.options.maxDataSize;
    const lone = saves.length === 1 ? saves[0].update! : undefined;
    if (fresh && lone?.json) {
      const { json, expiresAt } = lone;
      const own = json();
      SessionDataTooLargeError.check(own, max);
      return { json: own, expiresAt, merged: false };
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
    return { json, expiresAt: expiryDate(data[EXPIRY_KEY], this.options.cookieAge, new Date()), merged: true, data };
  }
}

/** Answers each save of `saves` not answered yet. */
function settle(saves: readonly Save[], answer: (save: Save) => void): void {
  for (const save of saves) {
    if (save.settled) continue;
    save.settled = true;
    answer(save);
  }
}
