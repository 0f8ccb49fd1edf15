import { assertJsonValue } from './json-value.js';
import { DictionaryState } from './dictionary-state.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyData = Record<string, any>;
export type Key<T> = keyof T & string;

/**
 * The dictionary of a session, with Django's `SessionBase` behaviour: values are JSON, and every
 * change — a key set or deleted, a value changed in place — is noticed, so that the session is
 * saved and a save applies exactly what this request wrote.
 */
export class SessionDictionary<T extends object = AnyData> extends DictionaryState {
  /** True once the dictionary has been read from the store (always, for a loaded session). */
  accessed = true;

  /** The value under `key`, or `fallback` (default `undefined`) when there is none. */
  get<K extends Key<T>>(key: K): T[K] | undefined;
  get<K extends Key<T>>(key: K, fallback: T[K]): T[K];
  get<K extends Key<T>>(key: K, fallback?: T[K]): T[K] | undefined {
    return Object.hasOwn(this.data, key) ? this.tracker.handedOut(this.data[key] as T[K]) : fallback;
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
    this.tracker.handedOut(value);
    return this;
  }

  /** Removes `key`; returns whether it was present (Django's `del` raises instead). */
  delete(key: Key<T>): boolean {
    if (!Object.hasOwn(this.data, key)) return false;
    delete this.data[key];
    this.tracker.wrote(key);
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
    for (const [key, value] of entries) this.tracker.handedOut(this.write(key, value));
    this.modified = true;
    return this;
  }

  keys(): Key<T>[] {
    return Object.keys(this.data) as Key<T>[];
  }

  values(): T[Key<T>][] {
    this.tracker.handedOutAll();
    return Object.values(this.data) as T[Key<T>][];
  }

  /** Django's `items()`. */
  entries(): [Key<T>, T[Key<T>]][] {
    this.tracker.handedOutAll();
    return Object.entries(this.data) as [Key<T>, T[Key<T>]][];
  }

  /** A shallow copy of the dictionary. */
  toJSON(): Partial<T> {
    this.tracker.handedOutAll();
    return { ...this.data } as Partial<T>;
  }

  /** Removes every key; the session and its key stay. */
  clear(): void {
    for (const key of Object.keys(this.data)) this.tracker.wrote(key);
    this.current = {};
    this.modified = true;
  }
}
