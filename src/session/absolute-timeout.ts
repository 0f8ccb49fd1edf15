import type { SessionInfo } from './session-store.interface.js';

/**
 * OWASP's absolute timeout: a session ends `timeout` seconds after it began (created, or its key
 * cycled by a login), however active it is. `undefined` is off.
 */
export class AbsoluteTimeout {
  private readonly ms: number | undefined;

  constructor(seconds: number | undefined) {
    this.ms = seconds === undefined ? undefined : seconds * 1000;
  }

  /** Whether a row of `info` has outlived the timeout at `now` (a row without info has not). */
  ended(info: SessionInfo | undefined, now: Date): boolean {
    return this.ms !== undefined && info !== undefined && info.createdAt.getTime() + this.ms <= now.getTime();
  }

  /** `expiresAt`, brought forward to the session's end when that comes first. */
  cap(expiresAt: Date, since: Date): Date {
    if (this.ms === undefined) return expiresAt;
    const end = since.getTime() + this.ms;
    return end < expiresAt.getTime() ? new Date(end) : expiresAt;
  }
}
