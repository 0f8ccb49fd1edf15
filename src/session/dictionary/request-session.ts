import { SessionDictionary, type AnyData, type Key } from './session-dictionary.js';
import type { SessionData } from './json-value.js';
import {
  EXPIRY_KEY,
  expiresAtBrowserClose,
  expiryAge,
  expiryDate,
  storedExpiry,
  type ExpiryPolicy,
  type SessionExpiry,
} from './session-expiry.js';
import { generateSessionKey } from './session-key.js';
import { SESSION_USER_KEY, userIdToBind } from './session-user.js';

/**
 * The key and value `setTestCookie()` stores, as Django names them.
 * @public
 */
export const TEST_COOKIE_KEY = 'testcookie';
export const TEST_COOKIE_VALUE = 'worked';

/** A session as the store gave it: its key (`null` for a new one), data and their JSON. */
export interface LoadedSession {
  key: string | null;
  /** The data, when already parsed; else parsed from `json` when first read. */
  data?: SessionData;
  /** `JSON.stringify(data)` as loaded: the baseline for noticing nested changes. */
  json: string;
}

/**
 * One request's session: a dictionary with Django's `SessionBase` behaviour, and its key and
 * expiry. Declare the shape of your data with the type parameter, e.g.
 * `RequestSession<{ cart: string[] }>`.
 *
 * Values must be JSON (see `set()`). Nothing here touches the store: changes are written when
 * the response is sent, following Django's save policy.
 * @public
 */
export class RequestSession<T extends object = AnyData> extends SessionDictionary<T> {
  private key: string | null;
  /**
   * The key was given before any row held it (express-session's `id` of a new session, or
   * `regenerate()`): it is used when the session is first saved, and dropped if the session
   * ends with no data, as a session without a key would.
   */
  private provisional = false;
  /** After `restart()`: the data of the row this session starts over from. */
  private restartedFrom: SessionData | undefined;
  /**
   * @internal The engine's record of the row this session was read from or last written to,
   * kept here for it (a field costs nothing; a WeakMap entry a request does): nothing in the
   * dictionary reads it.
   */
  origin: unknown = undefined;

  constructor(
    loaded: LoadedSession,
    private readonly policy: ExpiryPolicy,
  ) {
    super(loaded.data, loaded.json);
    this.key = loaded.key;
  }

  /** The session's key: `null` until it is first saved, or after `flush()`. */
  get sessionKey(): string | null {
    return this.key;
  }

  /** True when the session has neither a key (a stored one) nor data (Django's `is_empty()`). */
  isEmpty(): boolean {
    return (this.key === null || this.provisional) && this.keys().length === 0;
  }

  /** Sets a value that `testCookieWorked()` finds on the browser's next request. */
  setTestCookie(): void {
    this.set(TEST_COOKIE_KEY as Key<T>, TEST_COOKIE_VALUE as T[Key<T>]);
  }

  /** Whether the browser sent back the session that `setTestCookie()` wrote. */
  testCookieWorked(): boolean {
    return this.own(TEST_COOKIE_KEY) === TEST_COOKIE_VALUE;
  }

  deleteTestCookie(): void {
    this.delete(TEST_COOKIE_KEY as Key<T>);
  }

  /**
   * Binds the session to the user `userId` (call on login, with `cycleKey()`): it is then among
   * that user's sessions (`SessionsService.listForUser()`), and ends with their revocation. Kept
   * in the dictionary under `_auth_user_id`, as Django keeps it; `flush()` unbinds it.
   */
  bindUser(userId: string | number): void {
    this.set(SESSION_USER_KEY as Key<T>, userIdToBind(userId) as T[Key<T>]);
  }

  /** The user bound with `bindUser()`, or `null`. */
  get boundUser(): string | null {
    const id = this.own(SESSION_USER_KEY);
    return typeof id === 'string' ? id : null;
  }

  /** Ends the session: data cleared, row deleted, cookie removed (call on logout). */
  flush(): void {
    this.clear();
    this.key = null;
    this.provisional = false;
  }

  /** Keeps the data under a new key and deletes the old row (call on login, against fixation). */
  cycleKey(): void {
    this.key = generateSessionKey();
    this.modified = true;
  }

  /**
   * Sets this session's expiry: seconds of inactivity, a date, `0` for browser close, or
   * `null` to fall back on the global policy. Stored in the dictionary, like Django does.
   */
  setExpiry(value: SessionExpiry): void {
    const stored = storedExpiry(value);
    if (stored === undefined) this.delete(EXPIRY_KEY as Key<T>);
    else this.set(EXPIRY_KEY as Key<T>, stored as T[Key<T>]);
  }

  /** Seconds until the session expires if saved now. */
  getExpiryAge(now = new Date()): number {
    return expiryAge(this.own(EXPIRY_KEY), this.policy.cookieAge, now);
  }

  /** When the session expires if saved now. */
  getExpiryDate(now = new Date()): Date {
    return expiryDate(this.own(EXPIRY_KEY), this.policy.cookieAge, now);
  }

  /** Whether the cookie lasts only until the browser closes. */
  getExpireAtBrowserClose(): boolean {
    return expiresAtBrowserClose(this.own(EXPIRY_KEY), this.policy.expireAtBrowserClose);
  }

  /** @internal The key, made now (provisional) when the session has none yet. */
  keyOrProvisional(): string {
    if (this.key === null) {
      this.key = generateSessionKey();
      this.provisional = true;
    }
    return this.key;
  }

  /**
   * @internal Starts the session over, as express-session's `regenerate()` does: no data, and a
   * new provisional key. Built on a copy of a stored session, it still descends from that row:
   * its first save retires the row (as after `cycleKey()`), or the row goes when it ends empty.
   */
  restart(): void {
    this.restartedFrom = JSON.parse(this.tracker.baseline) as SessionData;
    this.clear();
    this.key = generateSessionKey();
    this.provisional = true;
  }

  /**
   * @internal A property assignment. After `restart()`, a value equal to the one the old row
   * held (passport copies the old session back with `keepSessionInfo`) is kept as stored
   * rather than written, so that a newer write to that key from another request survives.
   */
  override assign(key: string, value: unknown): void {
    const before = this.restartedFrom;
    if (before && Object.hasOwn(before, key) && JSON.stringify(value) === JSON.stringify(before[key])) {
      this.put(key, value);
      this.tracker.unwrote(key);
      this.tracker.handedOut(value);
      return;
    }
    super.assign(key, value);
  }

  /**
   * @internal Records a save under `key` of `json`: this request's own data, or (`merged`, with
   * the merge's `data` when there is one) the merge of its changes with other requests', which
   * the dictionary then reads.
   */
  markSaved(key: string, json: string, merged: boolean, data?: Readonly<SessionData>): void {
    this.key = key;
    this.provisional = false;
    this.restartedFrom = undefined;
    this.saved(json, merged, data);
  }
}
