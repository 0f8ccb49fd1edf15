import type { SessionData } from './json-value.js';

/**
 * What one request wrote to a session: each key it set, deleted or changed in place, with its
 * value now (`undefined` for a key it removed).
 */
export type SessionChanges = ReadonlyMap<string, unknown>;

/**
 * Applies `changes` onto `data` (the newest stored state, which it changes): a key the request
 * wrote takes the request's value, every other key keeps the stored one. Applied in commit
 * order, a key two requests both wrote ends with the later one's value.
 */
export function applySessionChanges(data: SessionData, changes: SessionChanges): SessionData {
  for (const [key, value] of changes) {
    if (value === undefined) delete data[key];
    else setOwn(data, key, value);
  }
  return data;
}

/** Sets `key` of `data` as an own property, so that even a key named `__proto__` is plain data. */
export function setOwn(data: SessionData, key: string, value: unknown): void {
  Object.defineProperty(data, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * The stored `baseJson` with each of `changeSets` applied in order. When together they would be
 * larger than `maxBytes` of JSON, each set that would push it over is left out, and `refused`
 * told its index and the size it would have made.
 */
export function mergeChanges(
  baseJson: string,
  changeSets: readonly SessionChanges[],
  maxBytes: number,
  refused: (index: number, size: number) => void,
): { data: SessionData; json: string } {
  const data = JSON.parse(baseJson) as SessionData;
  for (const changes of changeSets) applySessionChanges(data, changes);
  const json = JSON.stringify(data);
  if (Buffer.byteLength(json) <= maxBytes) return { data, json };
  const kept = JSON.parse(baseJson) as SessionData;
  changeSets.forEach((changes, index) => {
    const undo = new Map([...changes.keys()].map((key) => [key, Object.hasOwn(kept, key) ? kept[key] : undefined]));
    applySessionChanges(kept, changes);
    const size = Buffer.byteLength(JSON.stringify(kept));
    if (size <= maxBytes) return;
    applySessionChanges(kept, undo);
    refused(index, size);
  });
  return { data: kept, json: JSON.stringify(kept) };
}
