import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { RowState, SavedRow } from '../rows/session-row.js';
import type { SessionRows } from '../rows/session-rows.js';
import type { RowUpdate, Save } from './session-save.js';
import { SessionSaveQueue } from './session-save-queue.js';
import { DeadlineWatch } from '../stores/deadline-watch.js';
import { SessionConflictError, SessionStoreUnavailableError } from '../session.errors.js';
import { settle, writeTurn } from './write-turn.js';

// The most waiting saves of one session that one UPDATE carries.
const MAX_COALESCED = 1_000;

/**
 * The turns of each row's writes, one at a time per key ({@link SessionSaveQueue}): updates
 * waiting together share a turn ({@link writeTurn}); other work runs alone in its own. A write
 * still waiting `storeTimeout` after it was queued gets a 409 and never runs; one that started
 * and got no answer by then, a 503.
 */
export class RowTurns {
  private readonly queue = new SessionSaveQueue<Save, RowState>(
    (key, saves, state) => this.runTurn(key, saves, state),
    MAX_COALESCED,
  );
  private readonly deadlines: DeadlineWatch;

  constructor(
    private readonly rows: SessionRows,
    private readonly options: ResolvedSessionOptions,
  ) {
    this.deadlines = new DeadlineWatch(options.storeTimeout, () => new SessionConflictError());
  }

  /** Saves `update` over the row `key`, with the updates waiting beside it; resolves the row written. */
  update(key: string, update: RowUpdate): Promise<SavedRow> {
    return this.enqueue(key, { coalesces: true, update }) as Promise<SavedRow>;
  }

  /** Runs `run` alone in the queue of `key`, after the writes queued before it. */
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
      this.rows.logFailure(`no answer within ${this.options.storeTimeout} ms`);
      return new SessionStoreUnavailableError();
    });
  }

  /** One turn of a row's queue; answers every save in it, and resolves the row's state after. */
  private async runTurn(key: string, saves: Save[], state: RowState | undefined): Promise<RowState | undefined> {
    for (const save of saves) save.started = true;
    try {
      const run = saves[0].run;
      if (!run) return await writeTurn(this.rows, this.options, key, saves, state);
      const after = await run(state);
      settle(saves, (save) => save.resolve(undefined));
      return after;
    } catch (error) {
      settle(saves, (save) => save.reject(error));
      return undefined;
    }
  }
}
