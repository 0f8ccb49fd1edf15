import { assertJsonValue } from './json-value.js';
import { generateSessionKey } from './session-key.js';
import type { SessionData } from './session-codec.js';
import type { SessionChanges } from './session-merge.js';
import {
  EXPIRY_KEY,
  expiresAtBrowserClose,
  expiryAge,
  expiryDate,
  storedExpiry,
  type SessionExpiry,
} from './session-expiry.js';
import { TEST_COOKIE_KEY, TEST_COOKIE_VALUE } from './session.constants.js';

/** The global expiry policy a session falls back on. */
export interface ExpiryPolicy {
  cookieAge: number;
  expireAtBrowserClose: boolean;
}

/** How a session was found in the store. */
export interface LoadedState {
  /** The key of the stored row, or `null` for a new session. */
  key: string | null;
  data: SessionData;
  /** `JSON.stringify(data)` as loaded: the baseline for noticing nested changes. */
  json: string;
  /** The stored row's version (0 for a new session). */
  version: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyData = Record<string, any>;
type Key<T> = keyof T & string;

/**
 * One request's session: a dictionary with Django's `SessionBase` behaviour. Declare the shape
 * of your data with the type parameter, e.g. `RequestSession<{ cart: string[] }>`.
 *
 * Values must be JSON (see `set()`). Nothing here touches the store: changes are written when
 * the response is sent, following Django's save policy.
 */
export class RequestSession<T extends object = AnyData> {
  /** True once the dictionary has been read from the store (always, for a loaded session). */
  accessed = true;
  /** Whether the dictionary will be saved; set it by hand to force a save. */
  modified = false;

  /** The dictionary; parsed from the baseline on first use after a save took another request's state. */
  private current: SessionData | undefined;
  private baselineJson: string;
  /** Keys this request set, deleted or cleared: its writes, whatever values they wrote. */
  private readonly written = new Set<string>();
  /** An object or array was handed out and may have been changed in place. */
  private exposed = false;
  private key: string | null;
  /** @internal The key whose row the store holds for this session, if any. */
  storedKey: string | null;
  /** @internal The version of that row when this request read or last wrote it. */
  storedVersion: number;

  constructor(
    loaded: LoadedState,
    private readonly policy: ExpiryPolicy,
  ) {
    this.current = loaded.data;
    this.baselineJson = loaded.json;
    this.key = loaded.key;
    this.storedKey = loaded.key;
    this.storedVersion = loaded.version;
  }

  private get data(): SessionData {
    return (this.current ??= JSON.parse(this.baselineJson) as SessionData);
  }

  /** The session's key: `null` until it is first saved, or after `flush()`. */
  get sessionKey(): string | null {
    return this.key;
  }

  /** The value under `key`, or `fallback` (default `undefined`) when there is none. */
  get<K extends Key<T>>(key: K): T[K] | undefined;
  get<K extends Key<T>>(key: K, fallback: T[K]): T[K];
  get<K extends Key<T>>(key: K, fallback?: T[K]): T[K] | undefined {
    return Object.hasOwn(this.data, key) ? this.expose(this.data[key] as T[K]) : fallback;
  }

  /** Whether `key` is present. */
  has(key: Key<T>): boolean {
    return Object.hasOwn(this.data, key);
  }

  /**
   * Stores `value` under `key`. Throws a `SessionValueError` naming the key for a value JSON
   * cannot store faithfully (functions, symbols, BigInt, `undefined`, NaN, cycles, class
   * instances such as Date or Map).
   */
  set<K extends Key<T>>(key: K, value: T[K]): this {
    assertJsonValue(key, value);
    this.write(key, value);
    this.modified = true;
    this.expose(value);
    return this;
  }

  /** Removes `key`; returns whether it was present (Django's `del` raises instead). */
  delete(key: Key<T>): boolean {
    if (!Object.hasOwn(this.data, key)) return false;
    delete this.data[key];
    this.written.add(key);
    this.modified = true;
    return true;
  }

  /** Removes `key` and returns its value, or `fallback` when it was absent. */
  pop<K extends Key<T>>(key: K, fallback?: T[K]): T[K] | undefined {
    if (!Object.hasOwn(this.data, key)) return fallback;
    const value = this.data[key] as T[K];
    this.delete(key);
    return value;
  }

  /** The value under `key`; when absent, stores `value` there first. */
  setDefault<K extends Key<T>>(key: K, value: T[K]): T[K] {
    if (!Object.hasOwn(this.data, key)) this.set(key, value);
    return this.get(key) as T[K];
  }

  /** Stores every entry of `values` (each checked as by `set()`). */
  update(values: Partial<T>): this {
    const entries = Object.entries(values);
    for (const [key, value] of entries) assertJsonValue(key, value);
    for (const [key, value] of entries) this.write(key, value);
    this.modified = true;
    this.exposed ||= entries.some(([, value]) => typeof value === 'object' && value !== null);
    return this;
  }

  keys(): Key<T>[] {
    return Object.keys(this.data) as Key<T>[];
  }

  values(): T[Key<T>][] {
    this.exposed = true;
    return Object.values(this.data) as T[Key<T>][];
  }

  /** Django's `items()`. */
  entries(): [Key<T>, T[Key<T>]][] {
    this.exposed = true;
    return Object.entries(this.data) as [Key<T>, T[Key<T>]][];
  }

  /** A shallow copy of the dictionary. */
  toJSON(): Partial<T> {
    this.exposed = true;
    return { ...this.data } as Partial<T>;
  }

  /** Removes every key; the session and its key stay. */
  clear(): void {
    for (const key of Object.keys(this.data)) this.written.add(key);
    this.current = {};
    this.modified = true;
  }

  /** True when the session has neither a key nor data (Django's `is_empty()`). */
  isEmpty(): boolean {
    return this.key === null && Object.keys(this.data).length === 0;
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

  /** Ends the session: data cleared, row deleted, cookie removed (call on logout). */
  flush(): void {
    this.clear();
    this.key = null;
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

  /**
   * @internal Whether the session must be saved: it holds something, and was changed, or must be
   * saved on every request. Nested changes count: a value handed out and changed in place makes
   * the data differ from the loaded JSON (serialised only then, to compare).
   */
  needsSave(saveEveryRequest: boolean): boolean {
    if (this.isEmpty()) return false;
    if (this.modified || saveEveryRequest) return true;
    return this.exposed && JSON.stringify(this.data) !== this.baselineJson;
  }

  /** @internal The JSON to save when {@link needsSave}, else `undefined`. */
  pendingJson(saveEveryRequest: boolean): string | undefined {
    return this.needsSave(saveEveryRequest) ? this.json() : undefined;
  }

  /** @internal The whole dictionary as JSON. */
  json(): string {
    return JSON.stringify(this.data);
  }

  /**
   * @internal What this request wrote: every key it set, deleted or cleared (even to the value
   * it read), and every value it changed in place, with its value now (`undefined`: removed).
   * A save applies these onto the newest stored state, so the later commit wins key by key.
   */
  changes(): SessionChanges {
    const data = this.data;
    const changes = new Map<string, unknown>();
    for (const key of this.written) changes.set(key, Object.hasOwn(data, key) ? data[key] : undefined);
    if (!this.exposed) return changes;
    const base = JSON.parse(this.baselineJson) as SessionData;
    for (const key of Object.keys(data)) {
      if (changes.has(key)) continue;
      const before = Object.hasOwn(base, key) ? JSON.stringify(base[key]) : undefined;
      if (JSON.stringify(data[key]) !== before) changes.set(key, data[key]);
    }
    return changes;
  }

  /**
   * @internal Records a save under `key`, now at `version`, of `json`: this request's own data
   * (`merged` false), or the merge of its changes with other requests' (the dictionary then
   * reads as `json`).
   */
  markSaved(key: string, json: string, version: number, merged: boolean): void {
    if (merged) {
      this.current = undefined;
      this.exposed = false;
    }
    this.key = key;
    this.storedKey = key;
    this.storedVersion = version;
    this.baselineJson = json;
    this.written.clear();
    this.modified = false;
  }

  /** @internal The stored row as this request read or last wrote it: its JSON and version. */
  storedState(): { json: string; version: number } {
    return { json: this.baselineJson, version: this.storedVersion };
  }

  /** @internal Records that the row of `storedKey` is gone. */
  markDeleted(): void {
    this.storedKey = null;
  }

  /** The session's own value under `key`: never one inherited from Object.prototype. */
  private own(key: string): unknown {
    return Object.hasOwn(this.data, key) ? this.data[key] : undefined;
  }

  /** Stores `value` as an own property, so that even a key named `__proto__` is plain data. */
  private write(key: string, value: unknown): void {
    this.written.add(key);
    Object.defineProperty(this.data, key, { value, writable: true, enumerable: true, configurable: true });
  }

  private expose<V>(value: V): V {
    if (typeof value === 'object' && value !== null) this.exposed = true;
    return value;
  }
}
