import type { SessionData } from '../dictionary/json-value.js';
import type { SessionInfo } from '../stores/session-store.interface.js';

// The shapes of a row as the layers above the store pass it.

/** A row's JSON and version: what a save builds on. */
export interface RowState {
  json: string;
  version: number;
  /** The row's key, when a renewal gave it a new one since the key it was asked for. */
  movedTo?: string;
}

/**
 * A stored row, verified: its JSON (a dictionary's, parsed by whoever reads the data) when it
 * verified, else `'{}'` with `verified` false.
 */
export interface DecodedRow extends RowState {
  /** The row's own key (a renewal's new one, when it was asked for by the old). */
  key: string;
  expiresAt: Date;
  verified: boolean;
  info?: SessionInfo;
  /** When a renewal issued the key; absent for the key the session began with. */
  keyIssuedAt?: Date;
}

/** A row as a write left it; `merged` when it holds other requests' changes as well. */
export interface SavedRow extends RowState {
  /** The row's key: a renewal's new one when the write followed it there. */
  key: string;
  merged: boolean;
  expiresAt: Date;
  info: SessionInfo;
  /** The merged data, when a merge made it: shared by the saves of a turn, so read only. */
  data?: Readonly<SessionData>;
}
