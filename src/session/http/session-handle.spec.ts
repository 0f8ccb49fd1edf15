import { Logger } from '@nestjs/common';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { sessionParts } from '../../../test/support/session-parts.js';
import { MemorySessionStore } from '../stores/memory-session.store.js';
import type { SessionHandle } from './session-handle.js';
import type { SessionStore, StoredSession } from '../stores/session-store.interface.js';
import { SESSION_HANDLE } from '../options/session.constants.js';

/** A request and a real response, whose end is recorded instead of written. */
function exchange(cookie?: string) {
  const req = new IncomingMessage(new Socket());
  if (cookie !== undefined) req.headers.cookie = cookie;
  const res = new ServerResponse(req);
  const ended: { body: unknown; at: number }[] = [];
  res.end = function (this: ServerResponse, body?: unknown) {
    ended.push({ body, at: performance.now() });
    return this;
  } as ServerResponse['end'];
  return { req: req as IncomingMessage & { [SESSION_HANDLE]?: SessionHandle }, res, ended };
}

class CountingStore extends MemorySessionStore {
  loads = 0;
  override load(key: string): Promise<StoredSession | undefined> {
    this.loads++;
    return super.load(key);
  }
}

describe('SessionHandle', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  async function setUp(store: SessionStore = new CountingStore()) {
    const parts = await sessionParts({ store });
    /** One request through the middleware: `use` gets its handle before the response ends. */
    const request = async (cookie: string | undefined, use?: (handle: SessionHandle) => Promise<void>) => {
      const { req, res, ended } = exchange(cookie);
      parts.middleware.use(req, res, () => undefined);
      const handle = req[SESSION_HANDLE]!;
      await use?.(handle);
      res.end('body');
      // The commit, when there is one, ends the response a few turns later.
      for (let i = 0; i < 20 && ended.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
      return { res, ended, cookies: ([] as string[]).concat((res.getHeader('set-cookie') as string[]) ?? []) };
    };
    return { ...parts, store, request };
  }

  it('makes no query, and sends no cookie, for a request that never reads its session', async () => {
    const { store, request } = await setUp();
    const { ended, cookies } = await request('sessionid=' + 'a'.repeat(32));
    expect([ended.length, cookies, (store as CountingStore).loads]).toEqual([1, [], 0]);
  });

  it('deletes a cookie that is no key, without a query, even when nothing reads the session', async () => {
    const { store, request } = await setUp();
    const { cookies } = await request('sessionid=short');
    expect(cookies).toEqual([expect.stringMatching(/^sessionid=""; .*Max-Age=0/)]);
    expect((store as CountingStore).loads).toBe(0);
  });

  it('reads the store once however often the session is asked for, and says Vary: Cookie', async () => {
    const { store, request } = await setUp();
    const { res } = await request('sessionid=' + 'b'.repeat(32), async (handle) => {
      const [a, b] = await Promise.all([handle.load(), handle.load()]);
      expect(a).toBe(b);
      expect(handle.loaded).toBe(a);
    });
    expect((store as CountingStore).loads).toBe(1);
    expect(res.getHeader('vary')).toBe('Cookie');
  });

  it('holds the end until the save is done, then sends the new key; the response counts in flight meanwhile', async () => {
    const { store, inFlight, request } = await setUp();
    let during = -1;
    const { ended, cookies } = await request(undefined, async (handle) => {
      (await handle.load()).set('user', 42);
      during = inFlight.size;
    });
    expect(during).toBe(1);
    expect(inFlight.size).toBe(0);
    expect(ended).toHaveLength(1);
    const key = /^sessionid=([a-z0-9]{32});/.exec(cookies[0])?.[1];
    expect(await store.exists(key!)).toBe(true);
  });

  it("answers a save that fails with its status and JSON body, in place of the handler's", async () => {
    class DownStore extends MemorySessionStore {
      override async create(): Promise<void> {
        throw new Error('connection refused');
      }
    }
    const { request } = await setUp(new DownStore());
    const { res, ended } = await request(undefined, async (handle) => void (await handle.load()).set('user', 42));
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(String(ended[0].body))).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
  });

  it('commits once, and nothing for a 5xx response', async () => {
    const { store, request } = await setUp();
    const { cookies } = await request(undefined, async (handle) => {
      (await handle.load()).set('user', 42);
      await handle.commit(500);
    });
    expect(cookies).toEqual([]);
    expect((await store.count()).live).toBe(0);
  });
});
