import { RequestMethod, type MiddlewareConsumer } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionMiddleware } from '../session.middleware.js';
import { hookFastifyReplies, type FastifyHooks } from './fastify-replies.js';
import { hookFastifyRequests, type FastifyRequestHooks } from './fastify-request-bridge.js';

/** The one method of an Express app that every request goes through. */
interface ExpressEntry {
  handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
}

/** Where the session middleware runs: at the Express app's entry, or as Nest middleware. */
export type SessionMount = 'express-entry' | 'nest-middleware';

/**
 * Where each request gets its session handle. On Express, at the app's `handle`, which every
 * request enters: ahead of every middleware (all of them can load the session), whichever
 * server serves the app, and without Nest's per-middleware wrapper (route matching, an async
 * proxy) or a router layer — the faster of the two, as `bench/README.md` measures. Elsewhere,
 * or when `mount` asks for it, as Nest middleware on every route; on Fastify its replies are
 * hooked too (see {@link hookFastifyReplies}), and its requests bridged for Express middleware
 * (see {@link hookFastifyRequests}). Returns the mount used.
 */
export function attachSessionMiddleware(
  consumer: MiddlewareConsumer,
  adapterHost: HttpAdapterHost,
  middleware: SessionMiddleware,
  mount: SessionMount = 'express-entry',
): SessionMount {
  const adapter = adapterHost.httpAdapter;
  const type = adapter?.getType();
  if (type === 'fastify') {
    const fastify = adapter.getInstance<FastifyHooks & FastifyRequestHooks>();
    hookFastifyReplies(fastify);
    hookFastifyRequests(fastify);
  }
  const express = type === 'express' ? adapter.getInstance<ExpressEntry>() : undefined;
  if (mount === 'nest-middleware' || typeof express?.handle !== 'function') {
    consumer.apply(SessionMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
    return 'nest-middleware';
  }
  const handle = express.handle;
  express.handle = function (this: unknown, req, res, next) {
    middleware.use(req, res, () => handle.call(this, req, res, next));
  };
  return 'express-entry';
}
