import type { SessionData } from './session-codec.js';
import type { SessionChanges } from './session-merge.js';
import type { SessionInfo } from './session-store.interface.js';
import type { RowState } from './session-rows.js';
import type { QueuedSave } from './session-save-queue.js';

/** A row as a save wrote it; `merged` when it holds other requests' changes as well. */
export interface SavedRow extends RowState {
  merged: boolean;
  /** The expiry written, when a merge set it (from the merged data, at the time of the write). */
  expiresAt?: Date;
  /** The merged data, when a merge made it: shared by the saves of a turn, so read only. */
  data?: Readonly<SessionData>;
}

/** What one request saves over an existing row. */
export interface RowUpdate {
  changes: SessionChanges;
  /** The row as the request read it: its changes apply to it, or to anything newer. */
  read: RowState;
  /**
   * The request's whole dictionary, made only if its save goes alone onto the row it read;
   * absent once the save follows a renewal to another row, where only its changes apply.
   */
  json?: () => string;
  expiresAt: Date;
  /** The row's info as this request would write it (its user from its own data). */
  info: SessionInfo;
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
