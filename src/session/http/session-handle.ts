import type { ServerResponse } from 'node:http';
import type { CommitsInFlight } from './commits-in-flight.js';
import { holdResponseEnd } from './platform/hold-response-end.js';
import type { ResponseHeaders } from './platform/response-headers.js';
import type { RequestSession } from '../dictionary/request-session.js';
import { varyOnCookie, type SessionCookie } from './session-cookie.js';
import type { SessionEngine } from '../engine/session-engine.js';
import {
  isIdle,
  mustDeleteCookie,
  requestFacts,
  type RequestFacts,
  type SessionFacts,
} from '../engine/session-policy.js';
import { clientOfRequest, type ClientRequest } from '../dictionary/session-user.js';

/** What every handle needs, made once by the middleware. */
export interface SessionHandleDeps {
  engine: SessionEngine;
  cookie: SessionCookie;
  /** Responses waiting for their session's commit; shutdown waits for them. */
  inFlight: CommitsInFlight;
  saveEveryRequest: boolean;
}

/**
 * One request's lazy link to its session: created by the middleware with no I/O, it loads the
 * session from the store the first time a guard, interceptor or handler asks for it, holds the
 * response's end until the session is committed, and commits it once, as the response policy
 * ({@link isIdle} and its rules) says.
 */
export class SessionHandle {
  private session: RequestSession | undefined;
  private loading: Promise<RequestSession> | undefined;
  private committed = false;
  private endHooked = false;
  private varied = false;
  private request: RequestFacts;
  /** Where the cookie and `Vary` go: the Node.js response, until a platform names another. */
  private headers: ResponseHeaders;

  constructor(
    private readonly deps: SessionHandleDeps,
    private readonly res: ServerResponse,
    /** The session cookie as the client sent it, if it sent one. */
    private readonly cookieValue: string | undefined,
    /** The request, whose client a save records. */
    private req?: ClientRequest,
  ) {
    this.headers = res;
    this.request = requestFacts(cookieValue, deps.saveEveryRequest);
    // A bad cookie needs deleting even when the interceptor never runs (a guard said no).
    if (!isIdle(this.request, undefined, 200)) this.holdEnd();
  }

  /** The session once loaded, else `undefined`. */
  get loaded(): RequestSession | undefined {
    return this.session;
  }

  /** Whether the response may have something to commit: the session was asked for, or the cookie is bad. */
  get holdsEnd(): boolean {
    return this.endHooked && !this.committed;
  }

  /** The session, read from the store on the first call. */
  load(): Promise<RequestSession> {
    this.noteAccess();
    return this.preload();
  }

  /**
   * The session, read from the store on the first call, without counting as a use of it: the
   * express-session view reads it before the app's middleware, which may never look at it.
   */
  preload(): Promise<RequestSession> {
    if (this.loading) return this.loading;
    this.holdEnd();
    const key = this.request.cookieWellFormed ? this.cookieValue! : null;
    this.loading = this.deps.engine.open(key).then((session) => (this.session = session));
    return this.loading;
  }

  /** Records a use of the session: the response then varies with the cookie (`Vary: Cookie`). */
  noteAccess(): void {
    if (this.varied) return;
    this.varied = true;
    varyOnCookie(this.headers);
  }

  /** Replaces `session` with a new one descending from it (express-session's `regenerate()`). */
  restart(session: RequestSession): void {
    this.replace(this.deps.engine.restart(session));
  }

  /** Replaces `session` with what its row holds now (express-session's `reload()`). */
  async reload(session: RequestSession): Promise<void> {
    this.replace(await this.deps.engine.reopen(session));
  }

  /** Makes `session` this request's session from now on; the one before it is committed no more. */
  private replace(session: RequestSession): void {
    this.noteAccess();
    this.session = session;
    this.loading = Promise.resolve(session);
  }

  /**
   * Commits the loaded session now, as the end of a response with status 200 would
   * (express-session's `save()`), and sets or deletes its cookie while the headers are unsent.
   * The end of the response then writes again only what changed after this.
   */
  async saveNow(): Promise<void> {
    await this.load();
    await this.apply(200);
    // Saved on this request already: `saveEveryRequest` asks for no second write.
    this.request = { ...this.request, saveEveryRequest: false };
  }

  /**
   * {@link commit}, with the cookie and `Vary` written to `headers` (a Fastify reply's, whose own
   * headers win over the Node.js response's) and the client read from `req` (which knows the
   * proxies the platform trusts).
   */
  commitThrough(headers: ResponseHeaders, req: ClientRequest, status: number): Promise<void> | undefined {
    this.headers = headers;
    this.req = req;
    if (this.varied) varyOnCookie(headers);
    return this.commit(status);
  }

  /**
   * Commits the session for a response with `status`, once. Returns `undefined` when there is
   * nothing to do (most requests), decided synchronously, so that callers wait for nothing.
   */
  commit(status: number): Promise<void> | undefined {
    if (this.committed) return undefined;
    this.committed = true;
    if (this.loading && !this.session) return this.commitWhenLoaded(status);
    const facts = this.session && this.facts(this.session);
    if (isIdle(this.request, facts, status)) return undefined;
    return this.apply(status, facts);
  }

  private async commitWhenLoaded(status: number): Promise<void> {
    // A load that failed has been answered (503) where it was awaited; there is nothing to save.
    const loaded = await this.loading!.then(
      () => true,
      () => false,
    );
    const facts = loaded ? this.facts(this.session!) : undefined;
    if (facts && !isIdle(this.request, facts, status)) await this.apply(status, facts);
  }

  private facts(session: RequestSession): SessionFacts {
    return this.deps.engine.facts(session, this.request, this.cookieValue);
  }

  /** Commits for `status`; `facts`, when given, are the loaded session's, read just now. */
  private async apply(status: number, facts?: SessionFacts): Promise<void> {
    // Never read: either a cookie that is no key (deleted unread), or a session to read now.
    if (!this.loading && mustDeleteCookie(this.request, undefined))
      return this.deps.cookie.write(this.headers, 'delete');
    const session = this.session ?? (await this.load());
    const now = new Date();
    // A SessionInterruptedError leaves the cookie alone: the request that ended or replaced the
    // session (a logout, a login's new key) has sent the cookie the browser should keep.
    const { request, cookieValue } = this;
    const client = clientOfRequest(this.req);
    const change = await this.deps.engine.commit(session, { request, status, cookieValue, client, now, facts });
    if (change) this.deps.cookie.write(this.headers, change, now);
  }

  /** Holds the response's end until the session is committed (see {@link holdResponseEnd}). */
  private holdEnd(): void {
    if (this.endHooked) return;
    this.endHooked = true;
    holdResponseEnd(this.res, this.deps.inFlight, (status) => this.commit(status));
  }
}
