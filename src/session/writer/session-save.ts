import type { SessionData } from '../dictionary/json-value.js';
import type { SessionChanges } from '../dictionary/session-merge.js';
import type { RowState, SavedRow } from '../rows/session-row.js';
import type { WriteMoment } from './row-to-write.js';
import type { QueuedSave } from './session-save-queue.js';

/** What one request saves over an existing row. */
export interface RowUpdate {
  changes: SessionChanges;
  /** The row as the request read it: its changes apply to it, or to anything newer. */
  read: RowState;
  /**
   * The request's whole dictionary, written as it is (its JSON made only then) if its save goes
   * alone onto the row it read; absent once the save follows a renewal to another row, where
   * only its changes apply.
   */
  own?: { data: () => Readonly<SessionData>; json: () => string };
  moment: WriteMoment;
}

/** One save as it waits in its row's queue, and how it is answered. */
export interface Save extends QueuedSave {
  started: boolean;
  update?: RowUpdate;
  /** Instead of an update: work that runs alone in the row's turn (a delete). */
  run?: (state: RowState | undefined) => Promise<RowState | undefined>;
  resolve(row: SavedRow | undefined): void;
  reject(error: unknown): void;
}
