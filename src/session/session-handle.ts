import { HttpException, Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { failedSaveResponse } from './failed-save-response.js';
import type { RequestSession } from './request-session.js';
import { varyOnCookie } from './session-cookie.js';
import type { SessionEngine } from './session-engine.js';
import { isWellFormedSessionKey } from './session-key.js';
import { SESSION_HANDLE } from './session.constants.js';

const logger = new Logger('SessionHandle');

/**
 * One request's lazy link to its session: created by the middleware with no I/O, it loads the
 * session from the store the first time a guard, interceptor or handler asks for it, and applies
 * Django's response policy once, when the response is committed.
 */
export class SessionHandle {
  private session: RequestSession | undefined;
  private loading: Promise<RequestSession> | undefined;
  private committed = false;
  private endHooked = false;
  private readonly wellFormedKey: boolean;

  constructor(
    private readonly engine: SessionEngine,
    private readonly res: ServerResponse,
    /** The session cookie as the client sent it, if it sent one. */
    private readonly cookieValue: string | undefined,
  ) {
    this.wellFormedKey = isWellFormedSessionKey(cookieValue);
    // A bad cookie needs deleting even when the interceptor never runs (a guard said no).
    if (!this.untouchedIsIdle()) this.commitBeforeEnd();
  }

  /** The session once loaded, else `undefined`. */
  get loaded(): RequestSession | undefined {
    return this.session;
  }

  /** The session, read from the store on the first call. */
  load(): Promise<RequestSession> {
    if (this.loading) return this.loading;
    varyOnCookie(this.res);
    this.commitBeforeEnd();
    const key = this.wellFormedKey ? this.cookieValue! : null;
    this.loading = this.engine.open(key).then((session) => (this.session = session));
    return this.loading;
  }

  /**
   * Applies the save and cookie policy for a response with `status`, once: saves only below 500,
   * deletes the cookie of a session that ended empty, re-sends it after a save. Returns
   * `undefined` when there is nothing to do (most requests), so that callers wait for nothing.
   */
  commit(status: number): Promise<void> | undefined {
    if (this.committed) return undefined;
    this.committed = true;
    if (!this.loading) return this.untouchedIsIdle() ? undefined : this.apply(status);
    return this.loadedIsIdle(status) ? undefined : this.apply(status);
  }

  /** Whether a request that never loads the session has nothing to commit. */
  private untouchedIsIdle(): boolean {
    if (this.cookieValue === undefined) return true;
    // A bad cookie is deleted; saving every request must look at the client's session.
    return this.wellFormedKey && !this.engine.options.saveEveryRequest;
  }

  /**
   * Whether a loaded session has nothing to commit: same key as stored, nothing to save, and no
   * cookie to delete (most reads). Decided here, synchronously, so that such responses wait for
   * no promise.
   */
  private loadedIsIdle(status: number): boolean {
    const session = this.session;
    if (!session || session.sessionKey !== session.storedKey) return false;
    if (status < 500 && session.needsSave(this.engine.options.saveEveryRequest)) return false;
    return this.cookieValue === undefined || !session.isEmpty();
  }

  private async apply(status: number): Promise<void> {
    const present = this.cookieValue !== undefined;
    // A load that failed has been answered (503) where it was awaited; there is nothing to save.
    // Most responses come after the load: only one still running is waited for.
    if (this.loading && !this.session && !(await this.loading.then(() => true, () => false))) return;
    let session = this.session;
    if (!session) {
      if (present && !this.wellFormedKey) return this.deleteCookie();
      session = await this.load();
    }
    const now = new Date();
    // A SessionInterruptedError leaves the cookie alone: the request that ended or replaced the
    // session (a logout, a login's new key) has sent the cookie the browser should keep.
    const saved = await this.engine.persist(session, status < 500, now);
    if (present && session.isEmpty()) return this.deleteCookie();
    if (saved && this.writable()) this.engine.cookie.set(this.res, saved.key, saved.maxAge, now);
  }

  private deleteCookie(): void {
    if (!this.writable()) return;
    this.engine.cookie.delete(this.res);
    varyOnCookie(this.res);
  }

  private writable(): boolean {
    if (!this.res.headersSent) return true;
    logger.warn('Response headers were sent before the session was committed; the cookie was not updated.');
    return false;
  }

  /**
   * Holds the response's end until the session is committed, so that the policy applies to every
   * response that loaded it, whatever produced the response: a handler, a guard's rejection, an
   * exception filter, `@Res()`. A failed save answers in place of the handler's response while
   * its headers are unsent (all but streamed responses); after that it can only be logged.
   * Until the end goes out the response counts as in flight, which shutdown waits for.
   */
  private commitBeforeEnd(): void {
    if (this.endHooked) return;
    this.endHooked = true;
    const res = this.res;
    const end = res.end;
    const inFlight = this.engine.inFlight;
    inFlight.begin();
    const finish = (args: Parameters<typeof end>) => {
      try {
        end.apply(res, args);
      } finally {
        inFlight.end();
      }
    };
    res.end = ((...args: Parameters<typeof end>) => {
      res.end = end;
      const pending = this.commit(res.statusCode);
      if (!pending) {
        finish(args);
        return res;
      }
      pending.then(
        () => finish(args),
        (error: Error) => {
          if (!(error instanceof HttpException)) logger.error(`Session commit failed: ${error?.message ?? error}`);
          if (res.headersSent) return finish(args);
          const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined;
          finish([failedSaveResponse(res, error), 'utf8', callback] as Parameters<typeof end>);
        },
      );
      return res;
    }) as typeof end;
  }
}

/** A request as the session layer sees it. */
export interface RequestWithSession {
  [SESSION_HANDLE]?: SessionHandle;
}

/** The handle the middleware attached to `req`, if any. */
export function sessionHandleOf(req: object): SessionHandle | undefined {
  return (req as RequestWithSession)[SESSION_HANDLE];
}
