import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { noteExpressMiddlewareStart } from '../platform/fastify-request-bridge.js';
import { sessionHandleOf } from '../platform/request-handle.js';
import type { ResolvedSessionOptions } from '../../options/session-options.js';
import { RESOLVED_SESSION_OPTIONS } from '../../options/session.constants.js';
import { ExpressSessionViews } from './express-session-view.js';

/**
 * Gives the requests of the routes it is applied to an express-session-compatible
 * `req.session` (and `req.sessionID`), for passport, connect-flash and other middleware written
 * for express-session. Apply it before them:
 *
 * ```ts
 * consumer.apply(ExpressSessionMiddleware, passport.session()).forRoutes('account');
 * ```
 *
 * `req.session` is a view of the same session as `@Session()` and `loadSession()`: its data as
 * properties, saved by Django's rules. A request with a well-formed session cookie is read here,
 * before the middleware after it (which read `req.session` synchronously); one without makes no
 * query. Routes it is not applied to keep their lazy session. On Fastify, what it and the
 * middleware after it add to the Node.js request reaches Fastify's request, which guards and
 * handlers get, too (see `bridgeFastifyRequest`).
 * @public
 */
@Injectable()
export class ExpressSessionMiddleware implements NestMiddleware {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async use(req: IncomingMessage, _res: unknown, next: () => void): Promise<void> {
    // Applied twice (overlapping routes): the first view stands.
    if (Object.hasOwn(req, 'session')) return next();
    const handle = sessionHandleOf(req);
    if (!handle) {
      throw new Error('ExpressSessionMiddleware needs SessionModule.forRoot() in the application module.');
    }
    // A failed read rejects here, and Nest answers it as any other error of a middleware (503).
    await handle.preload();
    if (this.adapterHost.httpAdapter?.getType() === 'fastify') noteExpressMiddlewareStart(req);
    const views = new ExpressSessionViews(handle, this.options);
    Object.defineProperties(req, {
      session: { get: () => views.current(), enumerable: true, configurable: true },
      sessionID: { get: () => views.current().id, enumerable: true, configurable: true },
    });
    next();
  }
}
