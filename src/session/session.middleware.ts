import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionEngine } from './session-engine.js';
import { SessionHandle, type RequestWithSession } from './session-handle.js';
import { SESSION_HANDLE } from './session.constants.js';

/**
 * Gives every request a lazy session handle before the app's middleware and guards run (Django's
 * `SessionMiddleware`, request half). It does no I/O: the store is read only if someone asks for
 * the session.
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  constructor(private readonly engine: SessionEngine) {}

  use(req: IncomingMessage & RequestWithSession, res: ServerResponse, next: () => void): void {
    const cookieValue = this.engine.cookie.read(req.headers.cookie);
    req[SESSION_HANDLE] = new SessionHandle(this.engine, res, cookieValue);
    next();
  }
}
