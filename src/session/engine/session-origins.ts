import type { RequestSession } from '../dictionary/request-session.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { RequestFacts, SessionFacts } from './session-policy.js';
import type { RowState } from '../rows/session-row.js';
import type { SessionInfo } from '../stores/session-store.interface.js';

/** The row the store holds for a session: its key, version and JSON as last read or written. */
export interface OriginRow extends RowState {
  key: string;
  info?: SessionInfo;
  /** When the row expires, as last read or written. */
  expiresAt?: Date;
  /** When a renewal issued the key; absent for the key the session began with. */
  keyIssuedAt?: Date;
}

/**
 * What the engine knows of each open session's row, kept in the session's `origin` slot (the
 * dictionary knows nothing of storage, and never reads it), and the facts the response policy
 * reads off it.
 */
export class SessionOrigins {
  constructor(private readonly options: ResolvedSessionOptions) {}

  of(session: RequestSession): OriginRow | undefined {
    return session.origin as OriginRow | undefined;
  }

  set(session: RequestSession, row: OriginRow): void {
    session.origin = row;
  }

  forget(session: RequestSession): void {
    session.origin = undefined;
  }

  /** What the response policy needs to know of `session`, loaded for a request that sent `cookieValue`. */
  facts(session: RequestSession, request: RequestFacts, cookieValue: string | undefined): SessionFacts {
    const row = this.of(session);
    const rowKey = row?.key ?? null;
    return {
      empty: session.isEmpty(),
      changed: session.isChanged(),
      key: session.sessionKey,
      rowKey,
      touchDue: this.touchDue(row),
      // The cookie sent names a key the row no longer has: it came in through a renewed key.
      cookieBehind:
        request.cookieWellFormed && rowKey !== null && rowKey === session.sessionKey && rowKey !== cookieValue,
      renewDue: this.renewDue(session),
    };
  }

  /** The cookie's `Max-Age` for a row saved to expire at `expiresAt`; `undefined` at browser close. */
  cookieAge(session: RequestSession, expiresAt: Date, now: Date): number | undefined {
    if (session.getExpireAtBrowserClose()) return undefined;
    const lifetime = Math.ceil((expiresAt.getTime() - now.getTime()) / 1000);
    return Math.max(0, Math.min(session.getExpiryAge(now), lifetime));
  }

  /** Whether an unchanged session is due a refresh: always, unless `touchAfter` says its row was refreshed too recently. */
  private touchDue(row: OriginRow | undefined): boolean {
    const touchAfter = this.options.touchAfter;
    if (touchAfter === undefined) return true;
    const seen = row?.info?.lastSeenAt;
    return seen === undefined || Date.now() - seen.getTime() >= touchAfter * 1000;
  }

  /** Whether the key of `session`'s row is older than `renewAfter`. */
  renewDue(session: RequestSession): boolean {
    const renewAfter = this.options.renewAfter;
    if (renewAfter === undefined) return false;
    const row = this.of(session);
    const issued = row?.keyIssuedAt ?? row?.info?.createdAt;
    return issued !== undefined && Date.now() - issued.getTime() >= renewAfter * 1000;
  }
}
