import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { generateSessionKey, loadSession } from '../src/session/index.js';
import { ProbeController } from './support/probe.controller.js';
import { createTestApp, platformBackends, sessionCookie, setCookies, type TestApp } from './support/test-app.js';

const KEY = /^[a-z0-9]{32}$/;

/** An app middleware that reports the session's `n` in a header and counts its own visits. */
@Module({})
class VisitCountingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(async (req: Request, res: Response, next: NextFunction) => {
        const session = await loadSession(req);
        res.setHeader('X-Session-N', String(session.get('n') ?? '-'));
        session.set('visits', (session.get('visits') ?? 0) + 1);
        next();
      })
      .forRoutes('{*path}');
  }
}
const DELETION = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax';

describe.each(platformBackends())('session lifecycle over HTTP on %s, on %s (SPEC §3)', (platform, db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(db, [ProbeController], {}, { platform });
  });
  afterEach(() => t.close());

  /** Saves `id`/`name` and returns the new session key. */
  async function startSession(): Promise<string> {
    return sessionCookie(await t.http().get('/save').expect(200)).value;
  }
  const withKey = (key: string) => `sessionid=${key}`;

  describe('laziness', () => {
    it('a route that never touches the session makes no query, sets no cookie and no Vary', async () => {
      const key = await startSession();
      t.queries.reset();
      const res = await t.http().get('/untouched').set('Cookie', withKey(key)).expect(200, 'untouched');
      expect(t.queries.count).toBe(0);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.vary).toBeUndefined();
    });

    it('reading a session is one query and sends no cookie, but Vary: Cookie', async () => {
      const key = await startSession();
      t.queries.reset();
      const res = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
      expect(res.body).toEqual({ id: 1, name: 'root' });
      expect(t.queries.count).toBe(1);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.vary).toBe('Cookie');
    });

    it('reading without a cookie makes no query and writes no row', async () => {
      t.queries.reset();
      const res = await t.http().get('/read').expect(200);
      expect(res.body).toEqual({});
      expect(t.queries.count).toBe(0);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.vary).toBe('Cookie');
      expect(await t.rows()).toHaveLength(0);
    });
  });

  describe('saving and the cookie', () => {
    it('a write creates one row and sends a fresh two-week cookie', async () => {
      t.queries.reset();
      const before = Date.now();
      const res = await t.http().get('/save').expect(200);
      // cached_db also writes the new row through to the cache.
      expect(t.queries.count).toBe(db === 'cached_db' ? 2 : 1);
      const cookie = sessionCookie(res);
      expect(cookie.value).toMatch(KEY);
      expect(cookie.attributes).toMatchObject({ httponly: true, path: '/', samesite: 'Lax', 'max-age': '1209600' });
      const expires = Date.parse(cookie.attributes.expires as string);
      expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 1_209_600_000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 1_209_600_000);
      expect(res.headers.vary).toBe('Cookie');
      expect((await t.rows()).map((row) => row.session_key)).toEqual([cookie.value]);
    });

    it('a write to an existing session keeps the key and re-sends the cookie', async () => {
      const key = await startSession();
      const res = await t.http().get('/set?k=extra&v=1').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(res).value).toBe(key);
      const read = await t.http().get('/read').set('Cookie', withKey(key));
      expect(read.body).toEqual({ id: 1, name: 'root', extra: '1' });
    });

    it("the session's cookie and Vary join those the app set itself", async () => {
      const res = await t.http().get('/set-with-headers?k=a&v=1').expect(200);
      expect(setCookies(res, 'theme').map((c) => c.raw)).toEqual(['theme=dark; Path=/']);
      const key = sessionCookie(res).value;
      expect(res.headers.vary).toBe('Accept, Cookie');
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ a: '1' });
    });

    it('deleting every key keeps the row and re-sends the same key', async () => {
      const key = await startSession();
      const res = await t.http().get('/delete-keys').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(res).value).toBe(key);
      expect((await t.rows()).map((row) => row.session_key)).toEqual([key]);
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({});
    });

    it('stored data is signed JSON, not plain text', async () => {
      await startSession();
      const [row] = await t.rows();
      expect(row.session_data).toMatch(/^\$2:[A-Za-z0-9_-]{43}:\{"id":1,"name":"root"\}$/);
    });
  });

  describe('keys the client sends', () => {
    it('an unknown well-formed key is never adopted: read gives an empty session and deletes the cookie', async () => {
      const unknown = generateSessionKey();
      const res = await t.http().get('/read').set('Cookie', withKey(unknown)).expect(200);
      expect(res.body).toEqual({});
      expect(setCookies(res).map((c) => c.raw)).toEqual([DELETION]);
      expect(res.headers.vary).toBe('Cookie');
    });

    it('an unknown key that saves gets a fresh key', async () => {
      const unknown = generateSessionKey();
      const res = await t.http().get('/save').set('Cookie', withKey(unknown)).expect(200);
      const cookie = sessionCookie(res);
      expect(cookie.value).toMatch(KEY);
      expect(cookie.value).not.toBe(unknown);
      expect((await t.rows()).map((row) => row.session_key)).toEqual([cookie.value]);
    });

    it('a malformed cookie is deleted even on a route that never touches the session, with no query', async () => {
      t.queries.reset();
      const res = await t.http().get('/untouched').set('Cookie', 'sessionid=abc').expect(200);
      expect(setCookies(res).map((c) => c.raw)).toEqual([DELETION]);
      expect(t.queries.count).toBe(0);
    });

    it('the upper-case twin of a real key does not reach the session', async () => {
      const key = await startSession();
      const res = await t.http().get('/read').set('Cookie', withKey(key.toUpperCase())).expect(200);
      expect(res.body).toEqual({});
    });

    it.each([
      ['empty', 'sessionid='],
      ['quoted', `sessionid="${'a'.repeat(32)}"`],
      ['too long', `sessionid=${'a'.repeat(33)}`],
      ['huge', `sessionid=${'x'.repeat(6000)}`],
      ['SQL', "sessionid=' OR '1'='1"],
      ['unicode', 'sessionid=%C5%BC%C3%B3%C5%82%C4%87'],
      ['path-like', 'sessionid=../../etc/passwd'],
    ])('a %s cookie gives a clean empty session, never an error', async (_name, cookie) => {
      const read = await t.http().get('/read').set('Cookie', cookie).expect(200);
      expect(read.body).toEqual({});
      const save = await t.http().get('/save').set('Cookie', cookie).expect(200);
      expect(sessionCookie(save).value).toMatch(KEY);
    });

    it('of several cookies of that name, the first counts', async () => {
      const key = await startSession();
      const res = await t.http().get('/read').set('Cookie', `other=1; sessionid=${key}; sessionid=junk`).expect(200);
      expect(res.body).toEqual({ id: 1, name: 'root' });
    });

    it('an expired row reads as empty and its cookie is deleted', async () => {
      const key = await startSession();
      await t.editRow(key, { expiresAt: new Date(Date.UTC(2001, 0, 1)) });
      const res = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
      expect(res.body).toEqual({});
      expect(setCookies(res).map((c) => c.raw)).toEqual([DELETION]);
    });
  });

  describe('tampered rows', () => {
    it('a row edited in the database is not adopted: read as no session, removed, a fresh key on the next save', async () => {
      const key = await startSession();
      const [row] = await t.rows();
      const forged = row.session_data.replace('"name":"root"', '"name":"admin"');
      await t.editRow(key, { data: forged });
      const read = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
      expect(read.body).toEqual({});
      expect(setCookies(read).map((c) => c.raw)).toEqual([DELETION]);
      expect(await t.rows()).toEqual([]);
      const write = await t.http().get('/set?k=fresh&v=1').set('Cookie', withKey(key)).expect(200);
      const fresh = sessionCookie(write).value;
      expect(fresh).not.toBe(key);
      expect((await t.http().get('/read').set('Cookie', withKey(fresh))).body).toEqual({ fresh: '1' });
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({});
    });

    it('a row copied under another key does not verify', async () => {
      const victim = await startSession();
      const attacker = await startSession();
      const [victimRow] = (await t.rows()).filter((row) => row.session_key === victim);
      await t.editRow(attacker, { data: victimRow.session_data });
      expect((await t.http().get('/read').set('Cookie', withKey(attacker))).body).toEqual({});
    });
  });

  describe('flush and cycleKey', () => {
    it('flush deletes the row and the cookie', async () => {
      const key = await startSession();
      const res = await t.http().get('/flush').set('Cookie', withKey(key)).expect(200);
      expect(setCookies(res).map((c) => c.raw)).toEqual([DELETION]);
      expect(await t.rows()).toHaveLength(0);
    });

    it('cycleKey keeps the data under a new key and the old key stops working', async () => {
      const key = await startSession();
      const res = await t.http().get('/cycle').set('Cookie', withKey(key)).expect(200);
      const cookie = sessionCookie(res);
      expect(cookie.value).toMatch(KEY);
      expect(cookie.value).not.toBe(key);
      expect(res.text).toBe(cookie.value);
      expect((await t.rows()).map((row) => row.session_key)).toEqual([cookie.value]);
      expect((await t.http().get('/read').set('Cookie', withKey(cookie.value))).body).toEqual({ id: 1, name: 'root' });
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({});
    });
  });

  describe('what counts as a change (SPEC §4: nested changes)', () => {
    it('a value changed in place is saved without modified = true', async () => {
      const key = sessionCookie(await t.http().get('/cart/add?item=apple')).value;
      const res = await t.http().get('/cart/add?item=pear').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(res).value).toBe(key);
      expect((await t.http().get('/cart').set('Cookie', withKey(key))).body).toEqual({ cart: ['apple', 'pear'] });
    });

    it('reading an object value without changing it saves nothing', async () => {
      const key = sessionCookie(await t.http().get('/cart/add?item=apple')).value;
      t.queries.reset();
      const res = await t.http().get('/cart').set('Cookie', withKey(key)).expect(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(t.queries.count).toBe(1);
    });

    it('modified = true by hand saves and re-sends the cookie', async () => {
      const key = await startSession();
      const res = await t.http().get('/mark-modified').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(res).value).toBe(key);
    });

    it('marking an empty, cookie-less session modified writes nothing', async () => {
      const res = await t.http().get('/mark-modified').expect(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await t.rows()).toHaveLength(0);
    });
  });

  describe('status codes', () => {
    it('a handler that fails with a 500 saves nothing and leaks no stack', async () => {
      const res = await t.http().get('/fail-after-write').expect(500);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.text).not.toMatch(/the handler broke|at .*\.ts/);
      expect(await t.rows()).toHaveLength(0);
    });

    it('a handler that throws a 4xx HttpException still saves (status below 500)', async () => {
      const res = await t.http().get('/http-error-after-write').expect(400);
      const key = sessionCookie(res).value;
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ n: 1 });
    });

    it('a 503 set by @HttpCode saves nothing', async () => {
      const res = await t.http().get('/code-503').expect(503);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await t.rows()).toHaveLength(0);
    });

    it('a redirect saves, sends the cookie and Vary: Cookie', async () => {
      const res = await t.http().get('/redirect-after-write').expect(302);
      expect(res.headers.location).toBe('/read');
      expect(sessionCookie(res).value).toMatch(KEY);
      expect(res.headers.vary).toMatch(/(^|, )Cookie(,|$)/);
    });

    it('a handler writing the response itself with @Res() is saved too', async () => {
      const res = await t.http().get('/raw-response').expect(200, 'raw');
      const key = sessionCookie(res).value;
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ n: 1 });
    });

    it('a value JSON cannot store is refused with a 500 and nothing saved', async () => {
      const res = await t.http().get('/bad-value').expect(500);
      expect(res.body).toEqual({ statusCode: 500, message: 'Internal server error' });
      expect(await t.rows()).toHaveLength(0);
    });

    it.each(['date', 'map', 'nan', 'function', 'undefined'])(
      'a value changed in place to one JSON cannot store (%s) is refused with a 500, nothing saved',
      async (kind) => {
        const key = sessionCookie(await t.http().get('/set?k=a&v=1').expect(200)).value;
        const res = await t.http().get(`/bad-in-place?kind=${kind}`).set('Cookie', withKey(key)).expect(500);
        expect(res.body).toEqual({ statusCode: 500, message: 'Internal server error' });
        expect(res.headers['set-cookie']).toBeUndefined();
        expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ a: '1' });
        await t.http().get('/bad-in-place?kind=date').expect(500);
        expect(await t.rows()).toHaveLength(1);
      },
    );
  });

  describe('a save that fails', () => {
    // Over maxDataSize (65536 bytes), in a URL that Node's head limit lets through.
    const big = 'x'.repeat(70_000);
    beforeEach(() => Object.assign(t.app.getHttpServer(), { maxHeaderSize: 256 * 1024 }));

    it("answers with its error in place of the handler's response, and saves nothing", async () => {
      for (const path of ['/set', '/set-with-filter']) {
        const res = await t.http().get(`${path}?k=big&v=${big}`).expect(413);
        expect(res.body).toEqual({
          statusCode: 413,
          error: 'Payload Too Large',
          message: expect.stringMatching(/^The session would hold \d+ bytes, over the limit of 65536/),
        });
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        // Headers of the body it replaced do not describe this one.
        expect(res.headers.etag).toBeUndefined();
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expect(await t.rows()).toHaveLength(0);
    });

    // On Express a stream's headers leave before its end: SessionInterceptor is needed there.
    (platform === 'fastify' ? it : it.skip)('on Fastify, answers in place of a streamed reply too', async () => {
      const res = await t.http().get(`/set-streamed?k=big&v=${big}`).expect(413);
      expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      expect(await t.rows()).toHaveLength(0);
      const saved = await t.http().get('/set-streamed?k=a&v=1').expect(200);
      expect(saved.body.toString()).toBe('streamed');
      const key = sessionCookie(saved).value;
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ a: '1' });
    });

    it("goes through the app's exception filters where SessionInterceptor saves the session", async () => {
      const res = await t.http().get(`/set-intercepted?k=big&v=${big}`).expect(413);
      expect(res.body).toEqual({ shapedBy: 'filter' });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await t.rows()).toHaveLength(0);
    });

    it('SessionInterceptor saves what the handler wrote, as the response-end commit does', async () => {
      const res = await t.http().get('/set-intercepted?k=a&v=1').expect(200, 'ok');
      const key = sessionCookie(res).value;
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ a: '1' });
    });
  });

  describe('guards, interceptors, handlers and filters (SPEC §4: guards see the session)', () => {
    it("an app's own middleware loads the session, and what it writes is saved", async () => {
      const app = await createTestApp(db, [ProbeController], {}, { imports: [VisitCountingModule], platform });
      try {
        const first = await app.http().get('/set?k=n&v=3').expect(200);
        expect(first.headers['x-session-n']).toBe('-');
        const key = sessionCookie(first).value;
        const second = await app.http().get('/untouched').set('Cookie', withKey(key)).expect(200, 'untouched');
        expect(second.headers['x-session-n']).toBe('3');
        const read = await app.http().get('/read').set('Cookie', withKey(key)).expect(200);
        expect(read.body).toEqual({ n: '3', visits: 3 });
      } finally {
        await app.close();
      }
    });

    (platform === 'express' ? it : it.skip)(
      'the session works when the Express app is served by a server other than Nest’s own',
      async () => {
        // As when an app serves its Express instance over HTTP and HTTPS at once.
        const express = t.app.getHttpAdapter().getInstance();
        const key = sessionCookie(await request(express).get('/set?k=n&v=7').expect(200)).value;
        await request(express).get('/read').set('Cookie', withKey(key)).expect(200, { n: '7' });
        const untouched = await request(express)
          .get('/untouched')
          .set('Cookie', withKey(key.slice(1)))
          .expect(200);
        expect(untouched.headers['set-cookie']).toEqual([DELETION]);
      },
    );

    it('a guard reads the session: it lets a flagged session in, and no other', async () => {
      const flagged = sessionCookie(await t.http().get('/flag')).value;
      await t.http().get('/guarded').set('Cookie', withKey(flagged)).expect(200, 'welcome');
      const other = sessionCookie(await t.http().get('/set?k=flag&v=yes')).value;
      const denied = await t.http().get('/guarded').set('Cookie', withKey(other)).expect(403);
      expect(denied.headers.vary).toBe('Cookie');
      expect(denied.headers['set-cookie']).toBeUndefined();
    });

    it('a guard that rejects after reading writes no row and sets no cookie', async () => {
      const res = await t.http().get('/guarded').expect(403);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.vary).toBe('Cookie');
      expect(await t.rows()).toHaveLength(0);
    });

    it('a guard that writes and then rejects still has its write saved, as Django would', async () => {
      const res = await t.http().get('/guard-writes').expect(403);
      const key = sessionCookie(res).value;
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ guardWasHere: true });
    });

    it('guard, interceptor and handler see the same session, and the write is saved', async () => {
      const first = await t.http().get('/stages').expect(200);
      expect(first.body.trace).toEqual(['guard:n=-', 'interceptor:n=-', 'handler:n=-']);
      const key = sessionCookie(first).value;
      const second = await t.http().get('/stages').set('Cookie', withKey(key)).expect(200);
      expect(second.body.trace).toEqual(['guard:n=1', 'interceptor:n=1', 'handler:n=1']);
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ n: 2 });
    });

    it('an exception filter sees what the handler wrote, and the 4xx response saves it', async () => {
      const res = await t.http().get('/stages-error').expect(400);
      expect(res.body.trace).toEqual(['guard:n=-', 'interceptor:n=-', 'handler:n=-', 'filter:n=1']);
      const key = sessionCookie(res).value;
      expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ n: 1 });
    });
  });
});
