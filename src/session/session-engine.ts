import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommitsInFlight } from './commits-in-flight.js';
import { DeadlineWatch } from './deadline-watch.js';
import { RequestSession, type LoadedState } from './request-session.js';
import { SessionCodec } from './session-codec.js';
import { SessionCookie } from './session-cookie.js';
import {
  SessionConflictError,
  SessionDataTooLargeError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
} from './session.errors.js';
import { generateSessionKey } from './session-key.js';
import type { ResolvedSessionOptions } from './session-options.js';
import {
  SessionKeyTakenError,
  SessionStore,
  type SessionCounts,
  type SessionRecord,
} from './session-store.interface.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';

/** A stored session as {@link SessionEngine.read} returns it. */
export interface DecodedRow extends LoadedState {
  key: string;
  expiresAt: Date;
  /** False when the stored data failed verification and was replaced by `{}`. */
  verified: boolean;
}

/** The outcome of a save: what the cookie must carry. */
export interface SavedSession {
  key: string;
  /** Seconds the cookie lives; `undefined` for a browser-session cookie. */
  maxAge: number | undefined;
}

// A collision of 165-bit random keys means a broken random source; stop rather than loop.
const MAX_KEY_ATTEMPTS = 5;
// Saves of one session that keep losing the race to others give up after this many tries.
const MAX_SAVE_ATTEMPTS = 100;
const MAX_BACKOFF_MS = 100;

/**
 * Loads sessions from the store and writes them back: Django's `SessionStore`, between the
 * dictionary ({@link RequestSession}) and the storage backend ({@link SessionStore}).
 */
@Injectable()
export class SessionEngine {
  readonly cookie: SessionCookie;
  /** Responses waiting for their session's commit; shutdown waits for them. */
  readonly inFlight = new CommitsInFlight();
  private readonly codec: SessionCodec;
  private readonly logger = new Logger('SessionEngine');
  private readonly deadlines: DeadlineWatch;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) readonly options: ResolvedSessionOptions,
    @Inject(SessionStore) private readonly store: SessionStore,
  ) {
    this.cookie = new SessionCookie(options);
    this.codec = new SessionCodec(options.secret, options.secretFallbacks);
    this.deadlines = new DeadlineWatch(
      options.storeTimeout,
      () => new Error(`no answer within ${options.storeTimeout} ms`),
    );
    if (options.secretIsEphemeral) {
      this.logger.warn(
        'No session secret set: using a random one for this process, so sessions end when it ' +
          'restarts. Set `secret` (SESSION_SECRET for the demo server) to keep them.',
      );
    }
  }

  /**
   * The session stored under `key`, or a new empty one when `key` is `null`, unknown or
   * expired. A row whose signature does not verify reads as empty, keeping its key.
   */
  async open(key: string | null): Promise<RequestSession> {
    const row = key === null ? undefined : await this.read(key);
    if (row === undefined) return new RequestSession({ key: null, data: {}, json: '{}', version: 0 }, this.options);
    return new RequestSession(row, this.options);
  }

  /**
   * The live row under `key`, decoded, or `undefined` when there is none. A row whose signature
   * does not verify reads as empty data (`verified: false`), with a warning in the log.
   */
  async read(key: string): Promise<DecodedRow | undefined> {
    const row = await this.call(() => this.store.load(key));
    if (row === undefined) return undefined;
    const decoded = this.codec.decode(key, row.data);
    if (decoded) return { key, ...decoded, expiresAt: row.expiresAt, version: row.version, verified: true };
    this.logger.warn(
      `Session ${key.slice(0, 4)}…: stored data failed verification (edited, forged or signed ` +
        'with an unknown secret); reading it as an empty session.',
    );
    return { key, data: {}, json: '{}', expiresAt: row.expiresAt, version: row.version, verified: false };
  }

  /**
   * Writes what the request did to `session`: deletes the row of a flushed session, and when
   * `mayWrite` and the session needs saving, creates or updates its row (a cycled key gets a new
   * row, and its old one goes). Returns what the cookie must carry when a row was written.
   */
  async persist(session: RequestSession, mayWrite: boolean, now = new Date()): Promise<SavedSession | undefined> {
    const stored = session.storedKey;
    if (session.sessionKey === null && stored !== null) {
      await this.call(() => this.store.delete(stored));
      session.markDeleted();
    }
    let json = mayWrite ? session.pendingJson(this.options.saveEveryRequest) : undefined;
    if (json === undefined) return undefined;
    this.checkSize(json);

    const expiresAt = session.getExpiryDate(now);
    let key = session.sessionKey;
    let version = 0;
    if (key !== null && key === session.storedKey) {
      ({ json, version } = await this.update(session, key, json, expiresAt));
    } else {
      key = await this.insert(key ?? generateSessionKey(), json, expiresAt);
      const previous = session.storedKey;
      if (previous !== null) await this.call(() => this.store.delete(previous));
    }
    session.markSaved(key, json, version);
    const maxAge = session.getExpireAtBrowserClose() ? undefined : Math.max(0, session.getExpiryAge(now));
    return { key, maxAge };
  }

  /** Deletes the row under `key`, if any. */
  delete(key: string): Promise<void> {
    return this.call(() => this.store.delete(key));
  }

  /** Whether a live row holds `key`. */
  exists(key: string): Promise<boolean> {
    return this.call(() => this.store.exists(key));
  }

  /** Live and expired rows at `now`. */
  count(now = new Date()): Promise<SessionCounts> {
    return this.call(() => this.store.count(now));
  }

  /**
   * Saves `json` over the row `key` if no other request saved it since this one read it; else
   * merges this request's changes onto the newer row and tries again. Throws
   * {@link SessionInterruptedError} when the row is gone (a logout meanwhile: never resurrect it).
   */
  private async update(
    session: RequestSession,
    key: string,
    json: string,
    expiresAt: Date,
  ): Promise<{ json: string; version: number }> {
    for (let attempt = 1; ; attempt++) {
      const version = session.storedVersion;
      const record = { data: this.codec.encode(key, json), expiresAt };
      if (await this.call(() => this.store.update(key, record, version))) return { json, version: version + 1 };
      const newer = await this.read(key);
      if (newer === undefined) throw new SessionInterruptedError();
      if (attempt === MAX_SAVE_ATTEMPTS) throw new SessionConflictError();
      json = session.rebase(newer);
      this.checkSize(json);
      // Many writers on one session: spread their retries ever wider (random exponential
      // back-off, capped) so that each round lets some of them through.
      const backoff = Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }

  /** Inserts a row under `key`, or under fresh keys while the key is taken; returns the key used. */
  private async insert(key: string, json: string, expiresAt: Date): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const record: SessionRecord = { data: this.codec.encode(key, json), expiresAt };
      try {
        await this.call(() => this.store.create(key, record));
        return key;
      } catch (error) {
        if (!(error instanceof SessionKeyTakenError) || attempt === MAX_KEY_ATTEMPTS) throw error;
        key = generateSessionKey();
      }
    }
  }

  private checkSize(json: string): void {
    const size = Buffer.byteLength(json);
    if (size > this.options.maxDataSize) throw new SessionDataTooLargeError(size, this.options.maxDataSize);
  }

  /**
   * Runs a store operation, turning its failures — and its silence past `storeTimeout` — into a
   * 503 for the client and a log line here.
   */
  private call<T>(operation: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = operation();
    } catch (error) {
      running = Promise.reject(error);
    }
    return this.deadlines.watch(running).catch((error: unknown) => {
      if (error instanceof SessionKeyTakenError) throw error;
      this.logger.error(`Session store failed: ${(error as Error)?.message ?? error}`);
      throw new SessionStoreUnavailableError({ cause: error });
    });
  }
}
