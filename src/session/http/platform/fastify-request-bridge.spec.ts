import Fastify, { type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { hookFastifyRequests, noteExpressMiddlewareStart } from './fastify-request-bridge.js';

type Additions = Record<string, unknown>;

/** A Fastify app whose `onRequest` hook plays Express middleware on the Node.js request, as Nest's does. */
function appWith(middleware: (raw: IncomingMessage & Additions) => void, noted = true): FastifyInstance {
  const fastify = Fastify();
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (noted) noteExpressMiddlewareStart(request.raw);
    middleware(request.raw as IncomingMessage & Additions);
    done();
  });
  hookFastifyRequests(fastify);
  return fastify;
}

describe('bridgeFastifyRequest', () => {
  it("reads and writes what the middleware added through to the Node.js request, methods with Fastify's request as this", async () => {
    const fastify = appWith((raw) => {
      raw.user = 'ann';
      raw.greet = function (this: { user: string }) {
        return `hello ${this.user}`;
      };
    });
    fastify.get('/', (request) => {
      const req = request as unknown as Additions & { greet(): string };
      const before = req.greet();
      req.user = 'bob';
      return { before, after: req.greet(), raw: (request.raw as unknown as Additions).user };
    });
    const res = await fastify.inject('/');
    expect(res.json()).toEqual({ before: 'hello ann', after: 'hello bob', raw: 'bob' });
  });

  it("keeps Fastify's own names and Node.js's to themselves", async () => {
    const fastify = appWith((raw) => {
      raw.query = 'from middleware';
    });
    fastify.get('/', (request) => ({ query: request.query, complete: Object.hasOwn(request, 'complete') }));
    const res = await fastify.inject('/?a=1');
    expect(res.json()).toEqual({ query: { a: '1' }, complete: false });
  });

  it('keeps a name a plugin decorated Fastify requests with (as @fastify/jwt does user) to the plugin', async () => {
    const fastify = appWith((raw) => {
      raw.user = 'ann';
    });
    fastify.decorateRequest('user', null);
    fastify.get('/', (request) => ({
      user: (request as unknown as Additions).user,
      raw: (request.raw as unknown as Additions).user,
    }));
    expect((await fastify.inject('/')).json()).toEqual({ user: null, raw: 'ann' });
  });

  it('leaves requests no Express middleware saw as they are', async () => {
    const fastify = appWith((raw) => {
      raw.user = 'ann';
    }, false);
    fastify.get('/', (request) => ({ user: (request as unknown as Additions).user ?? null }));
    expect((await fastify.inject('/')).json()).toEqual({ user: null });
  });
});
