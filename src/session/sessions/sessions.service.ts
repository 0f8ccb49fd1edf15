import { Injectable } from '@nestjs/common';
import type { RequestSession } from '../dictionary/request-session.js';
import type { SessionData } from '../dictionary/json-value.js';
import { SessionEngine } from '../engine/session-engine.js';
import { NO_REQUEST } from '../engine/session-policy.js';
import type { SessionCounts } from '../stores/session-store.interface.js';
import { UserSessions, type CurrentSession, type UserSession } from './user-sessions.js';

/**
 * A stored session as the sessions API shows it (Django's `Session` model instance).
 * @public
 */
export interface StoredSessionInfo {
  sessionKey: string;
  /** The decoded dictionary (Django's `get_decoded()`); `{}` when the row failed verification. */
  data: SessionData;
  /** When the session expires (`expire_date`). */
  expireDate: Date;
  /** False when the stored data did not verify with the secret (edited, forged, foreign). */
  verified: boolean;
}

/**
 * What {@link SessionsService.clearExpired} reports.
 * @public
 */
export interface ClearExpiredResult {
  deleted: number;
  batches: number;
  elapsedMs: number;
}

/**
 * Options of {@link SessionsService.clearExpired}.
 * @public
 */
export interface ClearExpiredOptions {
  /** Rows deleted per statement. Default 10000. */
  batchSize?: number;
  /** Rows expired at this time go. Default: when the cleanup starts. */
  now?: Date;
  /** Called after each batch. */
  onProgress?: (progress: { deleted: number; elapsedMs: number }) => void;
}

/**
 * Thrown by {@link SessionsService.get} for a key with no live session.
 * @public
 */
export class SessionNotFoundError extends Error {
  override name = 'SessionNotFoundError';
  constructor(readonly sessionKey: string) {
    super(`No live session under key ${sessionKey.slice(0, 4)}… (it never existed, was deleted or expired)`);
  }
}

/**
 * Sessions outside requests, for scripts, admin pages and jobs: Django's
 * `SessionStore(session_key=…)` and `Session.objects`. Uses the same store, signing and expiry
 * rules as requests do.
 * @public
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly engine: SessionEngine,
    private readonly users: UserSessions,
  ) {}

  /**
   * The live sessions of the user `userId` (bound with `bindUser()`, or passport's user), most
   * recently seen first, each with a public id; `current` (the request's session or its key) is
   * marked. Needs a store with a user index (the TypeORM and memory stores have one).
   */
  listForUser(userId: string | number, current?: CurrentSession): Promise<UserSession[]> {
    return this.users.list(userId, current);
  }

  /**
   * Ends the session of `userId` whose public id is `id`: its next request is logged out.
   * Resolves `false`, ending nothing, for an id that is malformed, unknown or another user's.
   */
  revoke(userId: string | number, id: unknown): Promise<boolean> {
    return this.users.revoke(userId, id);
  }

  /** Ends every session of `userId` but `current` ("log out my other devices"); resolves how many. */
  revokeOthers(userId: string | number, current: CurrentSession): Promise<number> {
    return this.users.revokeOthers(userId, current);
  }

  /** Ends every session of `userId` (after a password change, say); resolves how many. */
  revokeAll(userId: string | number): Promise<number> {
    return this.users.revokeAll(userId);
  }

  /** The live session under `key`, or `undefined` when there is none (absent or expired). */
  async find(key: string): Promise<StoredSessionInfo | undefined> {
    const row = await this.engine.read(key);
    if (!row) return undefined;
    return {
      sessionKey: key,
      data: JSON.parse(row.json) as SessionData,
      expireDate: row.expiresAt,
      verified: row.verified,
    };
  }

  /** The live session under `key`; throws {@link SessionNotFoundError} when there is none. */
  async get(key: string): Promise<StoredSessionInfo> {
    const found = await this.find(key);
    if (!found) throw new SessionNotFoundError(key);
    return found;
  }

  /**
   * The session under `key` with the dictionary API of a request, to change and then `save()`;
   * a new, empty session when `key` is omitted, unknown or expired (its key is made on save).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as loadSession()
  open<T extends object = Record<string, any>>(key: string | null = null): Promise<RequestSession<T>> {
    return this.engine.open(key) as unknown as Promise<RequestSession<T>>;
  }

  /**
   * Writes `session` now, as the end of a request would (an empty session is not stored, a
   * flushed one is deleted); resolves its key, or `null` when nothing is stored.
   */
  async save(session: RequestSession<object>): Promise<string | null> {
    const own = session as RequestSession;
    own.modified = true;
    // The rules of a request's end, for a request that always succeeds and sent no cookie.
    const change = await this.engine.commit(own, { request: NO_REQUEST, status: 200, renew: false });
    return change === undefined || change === 'delete' ? null : change.key;
  }

  /** Deletes the session under `key`, if any. */
  async delete(key: string): Promise<void> {
    await this.engine.delete(key);
  }

  /** Whether a live session holds `key`. */
  exists(key: string): Promise<boolean> {
    return this.engine.exists(key);
  }

  /** How many sessions are live and how many have expired (and wait for `clearExpired()`). */
  count(): Promise<SessionCounts> {
    return this.engine.count(new Date());
  }

  /**
   * Deletes the sessions expired when it starts, in short statements of about `batchSize` rows,
   * so that requests running meanwhile are not stuck behind one long delete.
   */
  async clearExpired(options: ClearExpiredOptions = {}): Promise<ClearExpiredResult> {
    const { batchSize = 10_000, now = new Date(), onProgress } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a whole number above 0, got ${batchSize}`);
    }
    const started = performance.now();
    let deleted = 0;
    let batches = 0;
    for await (const removed of this.engine.clearExpired(now, batchSize)) {
      deleted += removed;
      batches += 1;
      onProgress?.({ deleted, elapsedMs: performance.now() - started });
    }
    return { deleted, batches, elapsedMs: performance.now() - started };
  }
}
