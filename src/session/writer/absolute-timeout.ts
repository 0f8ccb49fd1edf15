import type { SessionInfo } from '../stores/session-store.interface.js';

// OWASP's absolute timeout: a session ends `seconds` after it began (created, or its key cycled
// by a login), however active it is. `undefined` seconds is off.

/** Whether a row of `info` has outlived the absolute timeout at `now` (a row without info has not). */
export function outlivedAbsolute(seconds: number | undefined, info: SessionInfo | undefined, now: Date): boolean {
  return seconds !== undefined && info !== undefined && info.createdAt.getTime() + seconds * 1000 <= now.getTime();
}

/** `expiresAt`, brought forward to the session's absolute end when that comes first. */
export function capAtAbsolute(seconds: number | undefined, expiresAt: Date, since: Date): Date {
  if (seconds === undefined) return expiresAt;
  const end = since.getTime() + seconds * 1000;
  return end < expiresAt.getTime() ? new Date(end) : expiresAt;
}
