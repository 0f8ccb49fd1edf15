import { Inject, Injectable, Logger } from '@nestjs/common';
import { clearExpiredByLimit } from '../stores/clear-expired-by-limit.js';
import { DeadlineWatch } from '../stores/deadline-watch.js';
import { SessionCodec } from './session-codec.js';
import type { DecodedRow, RowState } from './session-row.js';
import { generateSessionKey } from '../dictionary/session-key.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import {
  SessionKeyTakenError,
  SessionStore,
  type SessionCounts,
  type SessionInfo,
  type UserSessionRow,
} from '../stores/session-store.interface.js';
import { userIdFor } from '../dictionary/session-user.js';
import { SessionStoreUnavailableError } from '../session.errors.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session.constants.js';

// A collision of 165-bit random keys means a broken random source; stop rather than loop.
const MAX_KEY_ATTEMPTS = 5;

/**
 * Session rows through the codec — read and verified, written signed — and through a deadline:
 * each operation fails with a 503 ({@link SessionStoreUnavailableError}, and a line in the log)
 * when the store fails or says nothing within `storeTimeout`, so that no request waits on a
 * database that went silent.
 */
@Injectable()
export class SessionRows {
  private readonly logger = new Logger('SessionStore');
  private readonly deadlines: DeadlineWatch;
  /** Whether keys are renewed, so that a key may be one a renewal replaced. */
  private readonly renewals: boolean;

  constructor(
    @Inject(SessionStore) private readonly store: SessionStore,
    private readonly codec: SessionCodec,
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
  ) {
    this.renewals = options.renewAfter !== undefined;
    const late = () => new Error(`no answer within ${options.storeTimeout} ms`);
    this.deadlines = new DeadlineWatch(options.storeTimeout, late);
  }

  /**
   * The live row under `key`, decoded, or `undefined` when there is none. A row whose content
   * does not verify — any bytes at all — reads as empty data (`verified: false`), with a
   * warning in the log.
   */
  async read(asked: string): Promise<DecodedRow | undefined> {
    const alias = this.renewals ? this.codec.aliasOf(asked) : undefined;
    const row = await this.call(() => this.store.load(asked, alias));
    if (row === undefined) return undefined;
    const key = row.key ?? asked;
    const { expiresAt, version, info, keyIssuedAt } = row;
    const json = this.guarded(() => this.codec.verifyObject(key, row.data, expiresAt));
    if (json !== undefined) return { key, json, expiresAt, version, info, keyIssuedAt, verified: true };
    this.logger.warn(
      `Session ${key.slice(0, 4)}…: stored row failed verification (edited, forged, its expiry ` +
        'moved, or signed with an unknown secret); reading it as no session.',
    );
    return { key, json: '{}', expiresAt, version, verified: false };
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
        const record = { data: this.codec.encode(key, json, expiresAt), expiresAt, info };
        await this.call(() => this.store.create(key, record));
        return key;
      } catch (error) {
        if (!(error instanceof SessionKeyTakenError) || attempt === MAX_KEY_ATTEMPTS) throw error;
        key = generateSessionKey();
      }
    }
  }

  /** Writes `json` over the row `key` if it is still at `version`; whether it was. */
  update(key: string, json: string, expiresAt: Date, version: number, info?: SessionInfo): Promise<boolean> {
    const record = { data: this.codec.encode(key, json, expiresAt), expiresAt, info };
    return this.call(() => this.store.update(key, record, version));
  }

  /**
   * Gives the row `key`, at `row.version`, the key `newKey` with its JSON signed for it; `key`
   * keeps working until `graceUntil`. Whether it did (never, on a store that cannot renew).
   */
  renew(key: string, newKey: string, row: RowState & { expiresAt: Date }, graceUntil: Date): Promise<boolean> {
    const { store } = this;
    if (!store.renew) return Promise.resolve(false);
    const { json, expiresAt, version } = row;
    const record = { data: this.codec.encode(newKey, json, expiresAt), expiresAt };
    const alias = this.codec.aliasOf(key);
    return this.call(() => store.renew!(key, { newKey, record, version, graceUntil, alias }));
  }

  /** Deletes the row `key` (only at `version`, when given); whether a row went. */
  delete(key: string, version?: number): Promise<boolean> {
    return this.call(() => this.store.delete(key, version));
  }

  exists(key: string): Promise<boolean> {
    return this.call(() => this.store.exists(key));
  }

  count(now: Date): Promise<SessionCounts> {
    return this.call(() => this.store.count(now));
  }

  /**
   * The live rows of `userId` whose signed data names that user too (an index entry that does
   * not match its row is not the user's). Throws on a store that keeps no user index.
   */
  async listOfUser(userId: string): Promise<UserSessionRow[]> {
    const { store } = this;
    if (!store.listByUser) {
      throw new Error('The session store keeps no user index (listByUser): sessions of a user need one.');
    }
    const rows = await this.call(() => store.listByUser!(userId, new Date()));
    return rows.filter((row) => {
      const decoded = row.info && this.guarded(() => this.codec.decode(row.key, row.data, row.expiresAt));
      return decoded !== undefined && userIdFor(decoded.data, this.options.userIdOf) === userId;
    });
  }

  /**
   * Deletes the rows expired at `now` in batches of about `batchSize`, yielding how many each
   * removed. No deadline: a large cleanup takes as long as it takes, in short statements.
   */
  clearExpired(now: Date, batchSize: number): AsyncIterable<number> {
    return this.store.clearExpiredInBatches?.(now, batchSize) ?? clearExpiredByLimit(this.store, now, batchSize);
  }

  /** Logs the failure of a write that had no store operation of its own to fail (a queue wait). */
  logFailure(message: string): void {
    this.logger.error(`Session store failed: ${message}`);
  }

  /** What `read` makes of a stored row, or `undefined` should it throw: a row is never more than unreadable. */
  private guarded<T>(read: () => T | undefined): T | undefined {
    try {
      return read();
    } catch {
      return undefined;
    }
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = operation();
    } catch (error) {
      running = Promise.reject(error);
    }
    return this.deadlines.watch(running).catch((error: unknown) => {
      if (error instanceof SessionKeyTakenError) throw error;
      this.logFailure((error as Error)?.message ?? String(error));
      throw new SessionStoreUnavailableError({ cause: error });
    });
  }
}
