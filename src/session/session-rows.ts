import { Inject, Injectable, Logger } from '@nestjs/common';
import { SessionCodec, type DecodedSession } from './session-codec.js';
import { generateSessionKey } from './session-key.js';
import { SessionKeyTakenError, type SessionInfo } from './session-store.interface.js';
import { TimedStore } from './timed-store.js';
import type { ResolvedSessionOptions } from './session-options.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';

/** A row's JSON and version: what a save builds on. */
export interface RowState {
  json: string;
  version: number;
  /** The row's key, when a renewal gave it a new one since the key it was asked for. */
  movedTo?: string;
}

/** A stored row, decoded: its data when it verified, else `{}` with `verified` false. */
export interface DecodedRow extends DecodedSession, RowState {
  /** The row's own key (a renewal's new one, when it was asked for by the old). */
  key: string;
  expiresAt: Date;
  verified: boolean;
  info?: SessionInfo;
  /** When a renewal issued the key; absent for the key the session began with. */
  keyIssuedAt?: Date;
}

// A collision of 165-bit random keys means a broken random source; stop rather than loop.
const MAX_KEY_ATTEMPTS = 5;

/** Session rows through the codec: read and verified, written signed. */
@Injectable()
export class SessionRows {
  private readonly logger = new Logger('SessionRows');
  /** Whether keys are renewed, so that a key may be one a renewal replaced. */
  private readonly renewals: boolean;

  constructor(
    private readonly store: TimedStore,
    private readonly codec: SessionCodec,
    @Inject(RESOLVED_SESSION_OPTIONS) options: ResolvedSessionOptions,
  ) {
    this.renewals = options.renewAfter !== undefined;
  }

  /**
   * The live row under `key`, decoded, or `undefined` when there is none. A row whose content
   * does not verify — any bytes at all — reads as empty data (`verified: false`), with a
   * warning in the log.
   */
  async read(asked: string): Promise<DecodedRow | undefined> {
    const row = await this.store.load(asked, this.renewals ? this.codec.aliasOf(asked) : undefined);
    if (row === undefined) return undefined;
    const key = row.key ?? asked;
    let decoded: DecodedSession | undefined;
    try {
      decoded = this.codec.decode(key, row.data, row.expiresAt);
    } catch {
      decoded = undefined;
    }
    if (decoded) {
      const { expiresAt, version, info, keyIssuedAt } = row;
      return { key, ...decoded, expiresAt, version, info, keyIssuedAt, verified: true };
    }
    this.logger.warn(
      `Session ${key.slice(0, 4)}…: stored row failed verification (edited, forged, its expiry ` +
        'moved, or signed with an unknown secret); reading it as no session.',
    );
    return { key, data: {}, json: '{}', expiresAt: row.expiresAt, version: row.version, verified: false };
  }

  /** The row under `key` when it is live and verifies, as a save's base. */
  async readLive(key: string): Promise<RowState | undefined> {
    const row = await this.read(key);
    if (!row?.verified) return undefined;
    return { json: row.json, version: row.version, ...(row.key !== key && { movedTo: row.key }) };
  }

  /** Inserts `json` under `key`, or under fresh keys while the key is taken; resolves the key used. */
  async insert(key: string, json: string, expiresAt: Date, info?: SessionInfo): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.create(key, { data: this.codec.encode(key, json, expiresAt), expiresAt, info });
        return key;
      } catch (error) {
        if (!(error instanceof SessionKeyTakenError) || attempt === MAX_KEY_ATTEMPTS) throw error;
        key = generateSessionKey();
      }
    }
  }

  /** Writes `json` over the row `key` if it is still at `version`; whether it was. */
  update(key: string, json: string, expiresAt: Date, version: number, info?: SessionInfo): Promise<boolean> {
    return this.store.update(key, { data: this.codec.encode(key, json, expiresAt), expiresAt, info }, version);
  }

  /**
   * Gives the row `key`, at `version`, the key `newKey` with `json` signed for it; `key` keeps
   * working until `graceUntil`. Whether it did.
   */
  renew(
    key: string,
    newKey: string,
    json: string,
    expiresAt: Date,
    version: number,
    graceUntil: Date,
  ): Promise<boolean> {
    const record = { data: this.codec.encode(newKey, json, expiresAt), expiresAt };
    return this.store.renew(key, { newKey, record, version, graceUntil, alias: this.codec.aliasOf(key) });
  }

  /** Deletes the row `key` (only at `version`, when given); whether a row went. */
  delete(key: string, version?: number): Promise<boolean> {
    return this.store.delete(key, version);
  }

  /**
   * Removes a row that is never adopted (it failed verification, or outlived its absolute
   * timeout), unless it changed since it was read.
   */
  async removeUnusable(row: DecodedRow): Promise<void> {
    try {
      await this.store.delete(row.key, row.version);
    } catch {
      // Logged by the store; the row is still never adopted, and the next request tries again.
    }
  }
}
