import type { RequestSession } from './request-session.js';
import type { SessionEngine } from './session-engine.js';
import type { RequestFacts, SessionFacts } from './session-policy.js';

/** What the response policy needs to know of `session`, loaded for a request that sent `cookieValue`. */
export function sessionFacts(
  engine: SessionEngine,
  request: RequestFacts,
  cookieValue: string | undefined,
  session: RequestSession,
): SessionFacts {
  const rowKey = engine.rowKeyOf(session);
  return {
    empty: session.isEmpty(),
    changed: session.isChanged(),
    key: session.sessionKey,
    rowKey,
    touchDue: engine.touchDue(session),
    // The cookie sent names a key the row no longer has: it came in through a renewed key.
    cookieBehind:
      request.cookieWellFormed && rowKey !== null && rowKey === session.sessionKey && rowKey !== cookieValue,
    renewDue: engine.renewDue(session),
  };
}
