import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CommitsInFlight } from './commits-in-flight.js';
import { SessionCookie } from './session-cookie.js';
import { SessionEngine } from '../engine/session-engine.js';
import type { RequestWithSession } from './platform/request-handle.js';
import { SessionHandle, type SessionHandleDeps } from './session-handle.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_HANDLE } from '../options/session.constants.js';

/**
 * Gives every request a lazy session handle before the app's middleware and guards run (Django's
 * `SessionMiddleware`, request half). It does no I/O: the store is read only if someone asks for
 * the session.
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  private readonly deps: SessionHandleDeps;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) options: ResolvedSessionOptions,
    engine: SessionEngine,
    private readonly cookie: SessionCookie,
    inFlight: CommitsInFlight,
  ) {
    this.deps = { engine, cookie, inFlight, saveEveryRequest: options.saveEveryRequest };
  }

  use(req: IncomingMessage & RequestWithSession, res: ServerResponse, next: () => void): void {
    req[SESSION_HANDLE] = new SessionHandle(this.deps, res, this.cookie.read(req.headers.cookie), req);
    next();
  }
}
