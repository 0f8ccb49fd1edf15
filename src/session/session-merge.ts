import type { SessionData } from './session-codec.js';

/**
 * Three-way merge of a session dictionary: `theirs` (what the store holds now) with the changes
 * `mine` made to `base` (what this request loaded). A key this request set, changed in place or
 * deleted takes this request's value; every other key keeps the stored one. Values compare by
 * their JSON.
 */
export function mergeSessionData(base: SessionData, mine: SessionData, theirs: SessionData): SessionData {
  const merged: SessionData = { ...theirs };
  for (const key of Object.keys(base)) {
    if (!Object.hasOwn(mine, key)) delete merged[key];
  }
  for (const [key, value] of Object.entries(mine)) {
    const changed = !Object.hasOwn(base, key) || JSON.stringify(value) !== JSON.stringify(base[key]);
    if (changed) Object.defineProperty(merged, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return merged;
}
