import type { IncomingMessage } from 'node:http';

const NAMES_BEFORE = Symbol('nest-sessions.namesBeforeExpressMiddleware');

type NodeRequest = IncomingMessage & { [NAMES_BEFORE]?: ReadonlySet<string> } & Record<string, unknown>;

/** The part of a Fastify request the bridge uses. */
export interface FastifyRequestLike {
  raw: IncomingMessage;
}

/** The part of a Fastify instance the bridge uses. */
export interface FastifyRequestHooks {
  addHook(name: 'preHandler', hook: (request: FastifyRequestLike, reply: unknown, done: () => void) => void): unknown;
}

/**
 * Notes the names the Node.js request `req` has before `ExpressSessionMiddleware` and the
 * Express middleware after it add theirs, so that {@link bridgeFastifyRequest} can tell theirs
 * from Node.js's and Fastify's.
 */
export function noteExpressMiddlewareStart(req: IncomingMessage): void {
  (req as NodeRequest)[NAMES_BEFORE] = new Set(Object.getOwnPropertyNames(req));
}

/**
 * On Fastify, Nest middleware gets the Node.js request and guards and handlers get Fastify's
 * request around it. What `ExpressSessionMiddleware` and the middleware after it put on the
 * Node.js request (`session`, `sessionID`; passport's `user`, `logIn()`, `logout()`;
 * connect-flash's `flash()`) is made a property of Fastify's request too, read and written
 * through to the Node.js one: one request for both, so that passport's guard, which logs in on
 * Fastify's request, finds the session there, and `passport.session()`'s `req.user` reaches the
 * handler. A name Fastify's request has of its own (`body`, `query`…) keeps its own meaning.
 */
export function bridgeFastifyRequest(request: FastifyRequestLike): void {
  const raw = request.raw as NodeRequest;
  const before = raw[NAMES_BEFORE];
  if (!before) return;
  for (const name of Object.getOwnPropertyNames(raw)) {
    if (before.has(name) || name in request) continue;
    Object.defineProperty(request, name, {
      get: () => raw[name],
      set: (value: unknown) => {
        raw[name] = value;
      },
      enumerable: true,
      configurable: true,
    });
  }
}

/**
 * Bridges each request in Fastify's `preHandler` hook: after Nest middleware (an `onRequest`
 * hook) and the body's parsing, before guards. Requests no Express middleware saw pass at once.
 */
export function hookFastifyRequests(fastify: FastifyRequestHooks): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    bridgeFastifyRequest(request);
    done();
  });
}
