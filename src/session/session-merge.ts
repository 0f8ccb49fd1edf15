import type { SessionData } from './session-codec.js';

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
    else Object.defineProperty(data, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return data;
}
