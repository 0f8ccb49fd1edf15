/**
 * What `setExpiry()` accepts, as Django's `set_expiry()`: seconds of inactivity, a fixed date,
 * `0` for "when the browser closes", or `null` for the global policy.
 * @public
 */
export type SessionExpiry = number | Date | null;

/** The global expiry policy a session falls back on. */
export interface ExpiryPolicy {
  cookieAge: number;
  expireAtBrowserClose: boolean;
}

/**
 * Where a custom expiry is kept inside the dictionary, under Django's name for it.
 * @public
 */
export const EXPIRY_KEY = '_session_expiry';

/** A custom expiry as stored: seconds, or a date as ISO text. */
export type StoredExpiry = number | string;

/** The stored form of `value` (`undefined` for `null`: the key is removed). */
export function storedExpiry(value: SessionExpiry): StoredExpiry | undefined {
  if (value === null) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError('setExpiry() was given an invalid Date');
    return value.toISOString();
  }
  if (!Number.isFinite(value)) throw new RangeError(`setExpiry() takes a finite number of seconds, got ${value}`);
  return Math.trunc(value);
}

/**
 * Seconds from `now` until the session expires (Django's `get_expiry_age`): the custom expiry
 * if one is set (`0` counts as unset here), else `cookieAge`.
 */
export function expiryAge(stored: unknown, cookieAge: number, now: Date): number {
  if (typeof stored === 'number' && stored !== 0) return stored;
  if (typeof stored === 'string') {
    const date = Date.parse(stored);
    if (!Number.isNaN(date)) return Math.floor((date - now.getTime()) / 1000);
  }
  return cookieAge;
}

/** When the session expires if saved at `now` (Django's `get_expiry_date`). */
export function expiryDate(stored: unknown, cookieAge: number, now: Date): Date {
  if (typeof stored === 'string') {
    const date = Date.parse(stored);
    if (!Number.isNaN(date)) return new Date(date);
  }
  return new Date(now.getTime() + expiryAge(stored, cookieAge, now) * 1000);
}

/** Whether the cookie should last only until the browser closes. */
export function expiresAtBrowserClose(stored: unknown, globalPolicy: boolean): boolean {
  return stored === undefined ? globalPolicy : stored === 0;
}
