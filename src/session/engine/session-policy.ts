/**
 * Django's response policy for sessions, as predicates (its `SessionMiddleware.process_response`
 * and the flush/cycle rules of `SessionBase`). The session handle asks them once per response;
 * nothing here does I/O.
 */
import { isWellFormedSessionKey } from '../dictionary/session-key.js';

/** What the policy knows of a request before its session is read. */
export interface RequestFacts {
  /** The request carried a session cookie. */
  cookieSent: boolean;
  /** ...whose value has the shape of a key (else it is no key of ours, and is never looked up). */
  cookieWellFormed: boolean;
  /** `saveEveryRequest` is on. */
  saveEveryRequest: boolean;
}

/** The facts of a request that sent `cookieValue` (or no cookie). */
export function requestFacts(cookieValue: string | undefined, saveEveryRequest: boolean): RequestFacts {
  return {
    cookieSent: cookieValue !== undefined,
    cookieWellFormed: isWellFormedSessionKey(cookieValue),
    saveEveryRequest,
  };
}

/** A save outside any request (the sessions API): no cookie came, none is due every request. */
export const NO_REQUEST: RequestFacts = requestFacts(undefined, false);

/** What the policy knows of a session the request read. */
export interface SessionFacts {
  /** No key and no data (Django's `is_empty()`). */
  empty: boolean;
  /** Written, changed in place, or marked `modified` by hand. */
  changed: boolean;
  /** The session's key now: `null` after `flush()`, a new one after `cycleKey()`. */
  key: string | null;
  /** The key of the row the store holds for it, if any. */
  rowKey: string | null;
  /**
   * An unchanged session's refresh is due (`saveEveryRequest`): always, unless `touchAfter`
   * throttles it and the row was refreshed more recently.
   */
  touchDue: boolean;
  /**
   * The cookie names a key the row no longer has (it came in through a renewed key, in its
   * grace): the response sends the row's key.
   */
  cookieBehind: boolean;
  /** The key is older than `renewAfter`: the response gives the session a new one. */
  renewDue: boolean;
}

/** Any response whose session was read varies with the cookie (`Vary: Cookie`). */
export function varies(session: SessionFacts | undefined): boolean {
  return session !== undefined;
}

/**
 * A request that never read its session must still read it at the end when every request
 * saves: Django's middleware reads it to learn whether it is empty.
 */
export function mustReadAtEnd(request: RequestFacts): boolean {
  return request.cookieSent && request.cookieWellFormed && request.saveEveryRequest;
}

/**
 * Saved when modified (or on every request) and not empty, and only below 500 ("don't save
 * for 5xx responses": the handler may have failed half-way).
 */
export function mustSave(request: RequestFacts, session: SessionFacts, status: number): boolean {
  return status < 500 && !session.empty && (session.changed || (request.saveEveryRequest && session.touchDue));
}

/**
 * A flushed session's row goes, whatever the status: the logout happened. So does the row of a
 * session started over (express-session's `regenerate()`) that ended with no data.
 */
export function mustDeleteRow(session: SessionFacts): boolean {
  return session.rowKey !== null && (session.key === null || session.empty);
}

/**
 * The cookie goes when the request sent one and either it is no key at all, or the session
 * ended empty (unknown, expired, failed verification, flushed).
 */
export function mustDeleteCookie(request: RequestFacts, session: SessionFacts | undefined): boolean {
  if (!request.cookieSent) return false;
  return session === undefined ? !request.cookieWellFormed : session.empty;
}

/**
 * After a save, the cookie is sent again with a fresh expiry, unless it is being deleted; so it
 * is when it names a key the session no longer has.
 */
export function mustSetCookie(request: RequestFacts, session: SessionFacts, saved: boolean): boolean {
  return (saved || session.cookieBehind) && !mustDeleteCookie(request, session);
}

/** A session whose key is due a renewal gets one, on a response that keeps the session (below 500). */
export function mustRenew(session: SessionFacts, status: number): boolean {
  return session.renewDue && status < 500 && !session.empty && session.key !== null && session.key === session.rowKey;
}

/** Whether a response has nothing to do: no row to write or delete, no cookie to change. */
export function isIdle(request: RequestFacts, session: SessionFacts | undefined, status: number): boolean {
  if (!session) return !mustDeleteCookie(request, undefined) && !mustReadAtEnd(request);
  return (
    !mustSave(request, session, status) &&
    !mustDeleteRow(session) &&
    !mustDeleteCookie(request, session) &&
    !mustRenew(session, status) &&
    !mustSetCookie(request, session, false)
  );
}
