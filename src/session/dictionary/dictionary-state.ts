import { assertJsonValue } from './json-value.js';
import { ChangeTracker } from './session-changes.js';
import type { SessionData } from './json-value.js';
import { setOwn, type SessionChanges } from './session-merge.js';

/**
 * What a session dictionary keeps beneath its API: the data, the tracker of what this request
 * changed, and what a save reads of it.
 *
 * The data is parsed from its JSON only when something reads it. Until then a write is kept
 * aside (`pending`) and a lookup of one key is answered from those writes, or from the JSON when
 * it cannot hold the key: a request that only writes a large session, or reads nothing but its
 * expiry, never parses it.
 */
export class DictionaryState {
  /** Whether the dictionary will be saved; set it by hand to force a save. */
  modified = false;

  /** The data, once parsed from the baseline (on first read, and again after a merged save). */
  protected current: SessionData | undefined;
  /** Values written while the data was not parsed yet, by key; applied when it is. */
  private pending: Map<string, unknown> | undefined;
  /**
   * After a merged save, until the data is parsed: the merge's own result, shared with the other
   * saves of its turn, so only ever read — the cookie and the row's info need a key or two of
   * it, not a copy of their own.
   */
  private merged: Readonly<SessionData> | undefined;
  protected readonly tracker: ChangeTracker;
  /** Keys assigned as plain properties (the express-session view), checked as JSON at the save. */
  private unchecked: Set<string> | undefined;

  /** `data` is the parse of `json` when the caller has it; else it is parsed when first read. */
  constructor(data: SessionData | undefined, json: string) {
    this.current = data;
    this.tracker = new ChangeTracker(json);
  }

  protected get data(): SessionData {
    if (this.current) return this.current;
    const data = JSON.parse(this.tracker.baseline) as SessionData;
    if (this.pending) for (const [key, value] of this.pending) setOwn(data, key, value);
    this.pending = undefined;
    return (this.current = data);
  }

  /**
   * @internal Stores `value` under `key` as a property assignment does (the express-session
   * view): unchecked until the save, which refuses it then if JSON cannot store it (see
   * {@link assertStorable}), as `set()` would now.
   */
  assign(key: string, value: unknown): void {
    (this.unchecked ??= new Set()).add(key);
    this.write(key, value);
    this.modified = true;
    this.tracker.handedOut(value);
  }

  /**
   * @internal Throws a `SessionValueError` naming the first key whose value JSON cannot store
   * faithfully: one assigned as a property, or an object or array handed out, which may have
   * been changed in place since (`get('obj').at = new Date()`), as `set()` would refuse it.
   */
  assertStorable(): void {
    const exposed = this.tracker.exposed;
    if (!this.unchecked && !exposed) return;
    const data = this.peek();
    for (const key of Object.keys(data)) {
      const value = data[key];
      const changeable = exposed && typeof value === 'object' && value !== null;
      if (changeable || this.unchecked?.has(key)) assertJsonValue(key, value);
    }
  }

  /** @internal What this request wrote, for a save to apply onto the newest stored state. */
  changes(): SessionChanges {
    // Unparsed, every key written is one of the pending writes.
    if (this.current === undefined && !this.tracker.exposed) return new Map(this.pending);
    return this.tracker.changes(this.data);
  }

  /** @internal The dictionary itself, for reading at a save (nothing is handed out). */
  peek(): Readonly<SessionData> {
    return this.current ?? (this.pending ? this.data : (this.merged ?? this.data));
  }

  /** @internal The whole dictionary as JSON. */
  json(): string {
    return JSON.stringify(this.data);
  }

  /**
   * @internal Whether the dictionary was changed: by hand (`modified`), a write, or a value
   * changed in place (the data serialised only then, to compare with the baseline).
   */
  isChanged(): boolean {
    return this.modified || this.tracker.changed(() => this.data);
  }

  /**
   * Takes `json` as the stored state after a save: this request's own data, or (`merged`, with
   * the merge's `data` when the save has it) the merge of its changes with other requests',
   * which the dictionary then reads.
   */
  protected saved(json: string, merged: boolean, data?: Readonly<SessionData>): void {
    if (merged) {
      // The merge applied this request's writes, pending ones included.
      this.current = undefined;
      this.pending = undefined;
      this.merged = data;
    }
    this.unchecked = undefined;
    this.tracker.reset(json, merged);
    this.modified = false;
  }

  /** The session's own value under `key`: never one inherited from Object.prototype. */
  protected own(key: string): unknown {
    if (this.current === undefined) {
      if (this.pending?.has(key)) return this.pending.get(key);
      const merged = this.merged;
      if (merged) return Object.hasOwn(merged, key) ? merged[key] : undefined;
      if (!mayHoldKey(this.tracker.baseline, key)) return undefined;
    }
    const data = this.peek();
    return Object.hasOwn(data, key) ? data[key] : undefined;
  }

  /** Stores `value` as an own property, so that even a key named `__proto__` is plain data. */
  protected write<V>(key: string, value: V): V {
    this.tracker.wrote(key);
    return this.put(key, value);
  }

  /** Stores `value` without recording a write. */
  protected put<V>(key: string, value: V): V {
    if (this.current === undefined) (this.pending ??= new Map()).set(key, value);
    else setOwn(this.current, key, value);
    return value;
  }
}

/**
 * Whether the JSON text of a dictionary may hold `key` at its top level: it does only if it holds
 * the key as `JSON.stringify` writes a key (`"key":`), wherever that text is found.
 */
function mayHoldKey(json: string, key: string): boolean {
  return json.includes(`${JSON.stringify(key)}:`);
}
