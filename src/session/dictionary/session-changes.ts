import type { SessionData } from './json-value.js';
import type { SessionChanges } from './session-merge.js';

/**
 * What one request did to its dictionary: the keys it wrote (set, deleted, cleared — whatever
 * the values), and whether it handed out an object or array that may have been changed in place.
 * Against the JSON the dictionary was loaded from, that tells whether it must be saved and
 * which keys a save must apply.
 */
export class ChangeTracker {
  private readonly written = new Set<string>();
  /** Whether an object or array left the dictionary, and may come back changed in place. */
  exposed = false;

  constructor(
    /** `JSON.stringify` of the dictionary as loaded or last saved. */
    public baseline: string,
  ) {}

  /** Records a write of `key`. */
  wrote(key: string): void {
    this.written.add(key);
  }

  /** Forgets the write of `key`: its value is the baseline's again, which a save leaves as stored. */
  unwrote(key: string): void {
    this.written.delete(key);
  }

  /** Records that `value` left the dictionary; objects and arrays may come back changed. */
  handedOut<V>(value: V): V {
    if (typeof value === 'object' && value !== null) this.exposed = true;
    return value;
  }

  /** Records that every value may have left the dictionary. */
  handedOutAll(): void {
    this.exposed = true;
  }

  /** Whether `data()` differs from the baseline: a key written, or a value changed in place. */
  changed(data: () => SessionData): boolean {
    if (this.written.size > 0) return true;
    return this.exposed && JSON.stringify(data()) !== this.baseline;
  }

  /** Every key written or changed in place, with its value in `data` (`undefined`: removed). */
  changes(data: SessionData): SessionChanges {
    const changes = new Map<string, unknown>();
    for (const key of this.written) changes.set(key, Object.hasOwn(data, key) ? data[key] : undefined);
    if (!this.exposed) return changes;
    const base = JSON.parse(this.baseline) as SessionData;
    for (const key of Object.keys(data)) {
      if (changes.has(key)) continue;
      const before = Object.hasOwn(base, key) ? JSON.stringify(base[key]) : undefined;
      if (JSON.stringify(data[key]) !== before) changes.set(key, data[key]);
    }
    return changes;
  }

  /**
   * Starts again from `baseline`, after a save. Values handed out stay exposed unless the
   * dictionary is replaced (`dataReplaced`), since the handler may still hold them.
   */
  reset(baseline: string, dataReplaced: boolean): void {
    this.baseline = baseline;
    this.written.clear();
    if (dataReplaced) this.exposed = false;
  }
}
