import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommitsInFlight } from './commits-in-flight.js';
import { DeadlineWatch } from './deadline-watch.js';
import { RequestSession, type LoadedState } from './request-session.js';
import { SessionCodec, type SessionData } from './session-codec.js';
import { SessionCookie } from './session-cookie.js';
import { EXPIRY_KEY, expiryDate } from './session-expiry.js';
import { applySessionChanges, type SessionChanges } from './session-merge.js';
import { SessionSaveQueue, type QueuedSave } from './session-save-queue.js';
import {
  SessionConflictError,
  SessionDataTooLargeError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
} from './session.errors.js';
import { generateSessionKey } from './session-key.js';
import type { ResolvedSessionOptions } from './session-options.js';
import {
  nextSessionVersion,
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

/** A row as a save left it, or found it: its JSON and version. */
interface RowState {
  json: string;
  version: number;
}

/** A row as a save wrote it; `merged` when it holds other requests' changes as well. */
interface SavedRow extends RowState {
  merged: boolean;
}

/** A request's update of a row, waiting in the row's queue. */
interface UpdateSave extends QueuedSave {
  readonly coalesces: true;
  started: boolean;
  readonly changes: SessionChanges;
  /**
   * The request's whole dictionary as JSON (made only when needed) and its expiry: what a save
   * alone writes; and the row it read, which its changes apply to.
   */
  readonly own: { json(): string; expiresAt: Date; read: RowState };
  resolve(row: SavedRow): void;
  reject(error: unknown): void;
}

/** A delete of a row (a logout, or the old row of a login), run alone in the row's queue. */
interface ExclusiveSave extends QueuedSave {
  readonly coalesces: false;
  started: boolean;
  run(state: RowState | undefined): Promise<RowState | undefined>;
  resolve(state: undefined): void;
  reject(error: unknown): void;
}

type Save = UpdateSave | ExclusiveSave;

// A collision of 165-bit random keys means a broken random source; stop rather than loop.
const MAX_KEY_ATTEMPTS = 5;
// Saves of one session from this process never conflict (they queue); these bound the retries
// against other processes' saves, so that one busy session cannot keep the database busy.
const MAX_SAVE_ATTEMPTS = 10;
const MAX_BACKOFF_MS = 100;
// The most waiting saves of one session that one UPDATE carries.
const MAX_COALESCED = 1_000;

/**
 * Loads sessions from the store and writes them back: Django's `SessionStore`, between the
 * dictionary ({@link RequestSession}) and the storage backend ({@link SessionStore}).
 *
 * Saves of one session from this process queue on its key ({@link SessionSaveQueue}): while one
 * writes, those arriving wait, and the next turn applies all of their changes, in arrival order,
 * onto the newest state and writes them as one conditional UPDATE.
 */
@Injectable()
export class SessionEngine {
  readonly cookie: SessionCookie;
  /** Responses waiting for their session's commit; shutdown waits for them. */
  readonly inFlight = new CommitsInFlight();
  private readonly codec: SessionCodec;
  private readonly logger = new Logger('SessionEngine');
  private readonly deadlines: DeadlineWatch;
  private readonly queue = new SessionSaveQueue<Save, RowState>((key, saves, state) => this.runTurn(key, saves, state), MAX_COALESCED);

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
          'restarts. Set `secret` to keep them.',
      );
    }
  }

  /**
   * The session stored under `key`, or a new empty one when `key` is `null`, unknown, expired,
   * or its row fails verification (that row is removed: its key is never adopted).
   */
  async open(key: string | null): Promise<RequestSession> {
    const row = key === null ? undefined : await this.read(key);
    if (row?.verified) return new RequestSession(row, this.options);
    if (row) await this.removeUnverified(row);
    return new RequestSession({ key: null, data: {}, json: '{}', version: 0 }, this.options);
  }

  /**
   * The live row under `key`, decoded, or `undefined` when there is none. A row whose content
   * does not verify — any bytes at all — reads as empty data (`verified: false`), with a
   * warning in the log.
   */
  async read(key: string): Promise<DecodedRow | undefined> {
    const row = await this.call(() => this.store.load(key));
    if (row === undefined) return undefined;
    let decoded;
    try {
      decoded = this.codec.decode(key, row.data, row.expiresAt);
    } catch {
      decoded = undefined;
    }
    if (decoded) return { key, ...decoded, expiresAt: row.expiresAt, version: row.version, verified: true };
    this.logger.warn(
      `Session ${key.slice(0, 4)}…: stored row failed verification (edited, forged, its expiry ` +
        'moved, or signed with an unknown secret); reading it as no session.',
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
      await this.exclusive(stored, () => this.call(() => this.store.delete(stored)).then(() => undefined));
      session.markDeleted();
    }
    if (!mayWrite || !session.needsSave(this.options.saveEveryRequest)) return undefined;
    const key = session.sessionKey;
    const saved =
      key !== null && key === session.storedKey
        ? { key, ...(await this.update(session, key, now)) }
        : await this.create(session, key ?? generateSessionKey(), now);
    session.markSaved(saved.key, saved.json, saved.version, saved.merged);
    const maxAge = session.getExpireAtBrowserClose() ? undefined : Math.max(0, session.getExpiryAge(now));
    return { key: saved.key, maxAge };
  }

  /** Deletes the row under `key`, if any. */
  async delete(key: string): Promise<void> {
    await this.call(() => this.store.delete(key));
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
   * Queues this request's changes to the row `key`; resolves the row as saved. The request's
   * own JSON is made only if its save goes alone: coalesced saves are sized once, together.
   */
  private update(session: RequestSession, key: string, now: Date): Promise<SavedRow> {
    let json: string | undefined;
    const own = { json: () => (json ??= session.json()), expiresAt: session.getExpiryDate(now), read: session.storedState() };
    return this.enqueue<SavedRow>(key, (resolve, reject) => ({
      coalesces: true,
      settled: false,
      started: false,
      changes: session.changes(),
      own,
      resolve,
      reject,
    }));
  }

  /** Runs `run` alone in the queue of `key`, after the saves queued before it. */
  private exclusive(key: string, run: ExclusiveSave['run']): Promise<undefined> {
    return this.enqueue<undefined>(key, (resolve, reject) => ({ coalesces: false, settled: false, started: false, run, resolve, reject }));
  }

  /**
   * Queues the save `make` builds. A save still waiting for its turn `storeTimeout` after it was
   * queued is answered 409 and never runs; one whose turn is under way by then gets a 503.
   */
  private enqueue<T>(key: string, make: (resolve: (value: T) => void, reject: (error: unknown) => void) => Save): Promise<T> {
    let save!: Save;
    const done = new Promise<T>((resolve, reject) => {
      save = make(resolve, reject);
    });
    this.queue.add(key, save);
    return this.deadlines.watch(done, () => {
      save.settled = true;
      if (!save.started) return new SessionConflictError();
      this.logger.error(`Session store failed: no answer within ${this.options.storeTimeout} ms`);
      return new SessionStoreUnavailableError();
    });
  }

  /** One turn of a row's queue; answers every save in it, and resolves the row's state after. */
  private async runTurn(key: string, saves: Save[], state: RowState | undefined): Promise<RowState | undefined> {
    for (const save of saves) save.started = true;
    const first = saves[0];
    if (!first.coalesces) {
      try {
        const after = await first.run(state);
        settle(saves, (save) => save.resolve(undefined as never));
        return after;
      } catch (error) {
        settle(saves, (save) => save.reject(error));
        return undefined;
      }
    }
    try {
      return await this.writeTurn(key, saves as UpdateSave[], state);
    } catch (error) {
      settle(saves, (save) => save.reject(error));
      return undefined;
    }
  }

  /**
   * Writes the changes of `saves` onto the row `key` in one conditional UPDATE: onto `state`,
   * what this process last wrote there, else onto what the first save read. When another
   * process saved the row meanwhile, reads it and applies the changes again, a bounded number
   * of times. A row gone meanwhile (a logout) is never brought back: those saves get a 400.
   */
  private async writeTurn(key: string, saves: UpdateSave[], state: RowState | undefined): Promise<RowState | undefined> {
    let base = state;
    for (let attempt = 1; ; attempt++) {
      const live = saves.filter((save) => !save.settled);
      if (live.length === 0) return base;
      const lone = base === undefined && live.length === 1 ? live[0].own : undefined;
      const from = base ?? live[0].own.read;
      const { json, expiresAt } = lone ? { json: lone.json(), expiresAt: lone.expiresAt } : this.merged(from, live);
      if (lone) this.checkSize(json);
      if (!live.some((save) => !save.settled)) return base;
      const record = { data: this.codec.encode(key, json, expiresAt), expiresAt };
      if (await this.call(() => this.store.update(key, record, from.version))) {
        const saved = { json, version: nextSessionVersion(from.version), merged: !lone };
        settle(live, (save) => save.resolve(saved));
        return saved;
      }
      const newer = await this.readLive(key);
      if (newer === undefined) {
        settle(live, (save) => save.reject(new SessionInterruptedError()));
        return undefined;
      }
      if (attempt === MAX_SAVE_ATTEMPTS) {
        settle(live, (save) => save.reject(new SessionConflictError()));
        return newer;
      }
      base = newer;
      // Other processes writing the same session: spread the retries (random exponential back-off, capped).
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt)));
    }
  }

  /**
   * `base` with the changes of `saves` applied in order. When together they would be over
   * `maxDataSize`, each save that would push it over is refused (413) and left out.
   */
  private merged(base: RowState, saves: readonly UpdateSave[]): { json: string; expiresAt: Date } {
    const data = JSON.parse(base.json) as SessionData;
    for (const save of saves) applySessionChanges(data, save.changes);
    const json = JSON.stringify(data);
    if (Buffer.byteLength(json) > this.options.maxDataSize) {
      const kept = JSON.parse(base.json) as SessionData;
      for (const save of saves) {
        const undo = new Map([...save.changes.keys()].map((k) => [k, Object.hasOwn(kept, k) ? kept[k] : undefined]));
        applySessionChanges(kept, save.changes);
        const size = Buffer.byteLength(JSON.stringify(kept));
        if (size <= this.options.maxDataSize) continue;
        applySessionChanges(kept, undo);
        save.settled = true;
        save.reject(new SessionDataTooLargeError(size, this.options.maxDataSize));
      }
      return this.withExpiry(kept);
    }
    return { json, expiresAt: expiryDate(data[EXPIRY_KEY], this.options.cookieAge, new Date()) };
  }

  private withExpiry(data: SessionData): { json: string; expiresAt: Date } {
    return { json: JSON.stringify(data), expiresAt: expiryDate(data[EXPIRY_KEY], this.options.cookieAge, new Date()) };
  }

  /**
   * Stores a new row for `session` under `key` (or a fresh key while it is taken). After a
   * `cycleKey()` (a login) the old row then goes — but only once the new row holds every write
   * that reached the old one, so that no write answered meanwhile is lost.
   */
  private async create(session: RequestSession, key: string, now: Date): Promise<SavedRow & { key: string }> {
    const json = session.json();
    this.checkSize(json);
    const expiresAt = session.getExpiryDate(now);
    key = await this.insert(key, json, expiresAt);
    const old = session.storedKey;
    if (old === null) return { key, json, version: 0, merged: false };
    const moved = { key, json, version: 0, includes: session.storedState().version, merged: false };
    const changes = session.changes();
    try {
      await this.exclusive(old, (state) => this.retire(old, state ?? session.storedState(), moved, changes));
    } catch (error) {
      // The login did not happen: its new row must not linger as a second copy of the session.
      // After a store failure the old row may be gone already, and the new one is all there is.
      if (!(error instanceof SessionStoreUnavailableError)) void this.call(() => this.store.delete(key)).catch(() => undefined);
      throw error;
    }
    return moved;
  }

  /**
   * Deletes the row `old` if it is still at the version `moved` includes; else first carries the
   * newer writes into `moved` (with this request's changes on top) and tries again.
   */
  private async retire(
    old: string,
    current: RowState,
    moved: SavedRow & { key: string; includes: number },
    changes: SessionChanges,
  ): Promise<undefined> {
    for (let attempt = 1; ; attempt++) {
      if (current.version !== moved.includes) {
        const data = applySessionChanges(JSON.parse(current.json) as SessionData, changes);
        const { json, expiresAt } = this.withExpiry(data);
        this.checkSize(json);
        const record = { data: this.codec.encode(moved.key, json, expiresAt), expiresAt };
        if (!(await this.call(() => this.store.update(moved.key, record, moved.version)))) throw new SessionConflictError();
        Object.assign(moved, { json, version: nextSessionVersion(moved.version), includes: current.version, merged: true });
      }
      if (await this.call(() => this.store.delete(old, current.version))) return undefined;
      const newer = await this.readLive(old);
      // Gone already: another request ended the old session; the new one stands.
      if (newer === undefined) return undefined;
      if (attempt === MAX_SAVE_ATTEMPTS) throw new SessionConflictError();
      current = newer;
    }
  }

  /** The row under `key` when it is live and verifies, as a save's base. */
  private async readLive(key: string): Promise<RowState | undefined> {
    const row = await this.read(key);
    return row?.verified ? { json: row.json, version: row.version } : undefined;
  }

  /** Removes a row that failed verification, unless it changed since it was read. */
  private async removeUnverified(row: DecodedRow): Promise<void> {
    try {
      await this.call(() => this.store.delete(row.key, row.version));
    } catch {
      // Logged by call(); the row is still never adopted, and the next request tries again.
    }
  }

  /** Inserts a row under `key`, or under fresh keys while the key is taken; returns the key used. */
  private async insert(key: string, json: string, expiresAt: Date): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const record: SessionRecord = { data: this.codec.encode(key, json, expiresAt), expiresAt };
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

/** Answers each save of `saves` not answered yet. */
function settle<S extends QueuedSave>(saves: readonly S[], answer: (save: S) => void): void {
  for (const save of saves) {
    if (save.settled) continue;
    save.settled = true;
    answer(save);
  }
}
