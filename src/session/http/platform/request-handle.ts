import type { SessionHandle } from '../session-handle.js';
import { SESSION_HANDLE } from '../../options/session.constants.js';
import { rawRequestOf } from './response-headers.js';

/** A request as the session layer sees it. */
export interface RequestWithSession {
  [SESSION_HANDLE]?: SessionHandle;
}

/** The handle the middleware attached to `req`, or to the Node.js request `req` wraps, if any. */
export function sessionHandleOf(req: object): SessionHandle | undefined {
  const handle = (req as RequestWithSession)[SESSION_HANDLE];
  if (handle) return handle;
  const raw = rawRequestOf(req);
  return raw && (raw as RequestWithSession)[SESSION_HANDLE];
}
