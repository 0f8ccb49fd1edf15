import { MemorySessionStore, type StoredSession } from '../src/session/index.js';
import { createExpressSessionApp } from './support/express-session-app.js';
import { platformBackends, sessionCookie, setCookies, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;
const isWrite = (sql: string) => /^\s*(INSERT|UPDATE|DELETE)/i.test(sql);

describe.each(platformBackends())('%s: the express-session-compatible req.session on %s', (platform, db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createExpressSessionApp(db, { platform });
  });
  afterEach(() => t.close());

  const get = (path: string, key?: string) => {
    const req = t.http().get(path);
    return key ? req.set('Cookie', withKey(key)) : req;
  };
  const start = async (value = 'blue') => sessionCookie(await get(`/compat/set?k=color&v=${value}`).expect(200)).value;
  const keys = async () => (await t.rows()).map((row) => row.session_key);

  describe('the data as properties', () => {
    it('reads, assigns, deletes and changes in place, each saved', async () => {
      const key = await start();
      await get('/compat/push?item=a', key).expect(200);
      await get('/compat/push?item=b', key).expect(200);
      expect((await get('/compat/read', key).expect(200)).body).toEqual({ color: 'blue', list: ['a', 'b'] });
      await get('/compat/delete?k=color', key).expect(200);
      expect((await get('/compat/read', key).expect(200)).body).toEqual({ list: ['a', 'b'] });
    });

    it('has the members beside the data, none enumerable, and express-session’s cookie', async () => {
      const key = await start();
      const { body } = await get('/compat/shape', key).expect(200);
      expect(body).toMatchObject({
        keys: ['color'],
        forIn: ['color'],
        json: '{"color":"blue"}',
        id: key,
        sessionID: key,
        members: ['function', 'function', 'function', 'function', 'function'],
        hasOwn: true,
        cookie: { originalMaxAge: 1_209_600_000, httpOnly: true, secure: false, sameSite: 'lax', path: '/' },
      });
      expect(body.maxAge).toBe(1_209_600_000);
    });

    it('is one session with @Session(): a change through either is the same change', async () => {
      const key = await start();
      const { body } = await get('/compat/both', key).expect(200);
      expect(body.same).toBe(true);
      expect(body.decorator).toEqual({ color: 'blue', viaDecorator: 1, viaProperty: 2 });
      expect(body.property).toEqual(body.decorator);
      expect((await get('/compat/read', key)).body).toEqual(body.decorator);
    });

    it.each([
      ['function', /key "bad_function"/],
      ['bigint', /key "bad_bigint"/],
      ['date', /key "bad_date"/],
      ['cycle', /key "bad_cycle"/],
    ])('refuses a %s assigned as a property at the save, storing nothing', async (kind) => {
      const key = await start();
      const res = await get(`/compat/bad-value?kind=${kind}`, key);
      expect(res.status).toBe(500);
      expect(setCookies(res)).toHaveLength(0);
      expect((await get('/compat/read', key)).body).toEqual({ color: 'blue' });
    });

    it('sets its own expiry through cookie.maxAge', async () => {
      const res = await get('/compat/remember?ms=3600000').expect(200);
      expect(sessionCookie(res).attributes['max-age']).toBe('3600');
    });
  });

  describe("Django's rules", () => {
    it('saves nothing for a 5xx, and makes no row for an empty session', async () => {
      await get('/compat/fail').expect(500);
      await get('/compat/read').expect(200);
      expect(await t.rows()).toHaveLength(0);
    });

    it('varies on the cookie where the session was used, and deletes the cookie of one that ended', async () => {
      const key = await start();
      expect((await get('/compat/read', key)).headers.vary).toMatch(/Cookie/);
      const destroyed = await get('/compat/destroy', key).expect(200, 'destroyed');
      expect(sessionCookie(destroyed).attributes['max-age']).toBe('0');
      expect(await t.rows()).toHaveLength(0);
    });
  });

  describe('the methods', () => {
    it('regenerate(): a new key, empty data, the old row deleted, the old object still readable', async () => {
      const key = await start('green');
      const res = await get('/compat/regenerate', key).expect(200);
      expect(res.body.oldId).toBe(key);
      expect(res.body.newId).not.toBe(key);
      expect(res.body.oldStillReads).toEqual({ color: 'green' });
      expect(res.body.fresh).toEqual({ copied: 'green' });
      expect(sessionCookie(res).value).toBe(res.body.newId);
      expect(await keys()).toEqual([res.body.newId]);
      expect((await get('/compat/read', key)).body).toEqual({});
    });

    it('regenerate() that ends with no data ends the session: row and cookie gone', async () => {
      const key = await start();
      const res = await get('/compat/regenerate-empty', key).expect(200);
      expect(sessionCookie(res).attributes['max-age']).toBe('0');
      expect(await t.rows()).toHaveLength(0);
    });

    it('save() writes before the response; the end writes again only when something changed since', async () => {
      const key = await start();
      t.queries.reset();
      await get('/compat/save', key).expect(200, 'saved');
      expect(t.queries.statements.filter(isWrite)).toHaveLength(1);
      t.queries.reset();
      await get('/compat/save?then=change', key).expect(200, 'saved');
      expect(t.queries.statements.filter(isWrite)).toHaveLength(2);
      expect((await get('/compat/read', key)).body).toEqual({ color: 'blue', saved: 'now', after: 'later' });
    });

    it('a value JSON cannot store, put in place after save(), is refused at the end, nothing more stored', async () => {
      const key = await start();
      await get('/compat/save?then=bad', key).expect(500);
      expect((await get('/compat/read', key)).body).toEqual({ color: 'blue', saved: 'now' });
    });

    it('save() of a new session sends one cookie, with the key it was saved under', async () => {
      const res = await get('/compat/save?then=change').expect(200);
      const cookie = sessionCookie(res);
      expect((await get('/compat/read', cookie.value)).body).toEqual({ saved: 'now', after: 'later' });
    });

    it('reload() reads the row again, dropping unsaved changes', async () => {
      const key = await start('red');
      expect((await get('/compat/reload', key).expect(200)).body).toEqual({ color: 'red' });
      expect((await get('/compat/read', key)).body).toEqual({ color: 'red' });
    });

    it('touch() saves the session again with a fresh expiry', async () => {
      const key = await start();
      const res = await get('/compat/touch', key).expect(200);
      expect(sessionCookie(res).value).toBe(key);
    });
  });

  describe('loading and the query budget', () => {
    it('reads a well-formed cookie’s session before the middleware after it, with one query; none without a cookie', async () => {
      const key = await start();
      t.queries.reset();
      await get('/compat/untouched', key).expect(200);
      expect(t.queries.count).toBe(1);
      t.queries.reset();
      const res = await get('/compat/untouched').expect(200);
      expect(t.queries.count).toBe(0);
      expect(setCookies(res)).toHaveLength(0);
    });

    it('leaves routes it is not applied to lazy, without req.session', async () => {
      const key = await start();
      t.queries.reset();
      expect((await get('/lazy/untouched', key).expect(200)).body).toEqual({ hasSession: false });
      expect(t.queries.count).toBe(0);
      expect((await get('/lazy/read', key).expect(200)).body).toEqual({ color: 'blue' });
      expect(t.queries.count).toBe(1);
    });
  });

  it('connect-flash: a message shows once, on the next request', async () => {
    const key = sessionCookie(await get('/compat/flash?m=hello').expect(200)).value;
    expect((await get('/compat/flash/read', key)).body).toEqual({ info: ['hello'] });
    expect((await get('/compat/flash/read', key)).body).toEqual({ info: [] });
  });
});

describe.each(platformBackends(['sqlite', 'mariadb', 'postgres']))(
  '%s: passport on the compatible req.session, on %s',
  (platform, db) => {
    describe.each([false, true])('keepSessionInfo: %s', (keepSessionInfo) => {
      let t: TestApp;
      beforeEach(async () => {
        t = await createExpressSessionApp(db, { keepSessionInfo, platform });
      });
      afterEach(() => t.close());

      const login = (key: string | undefined, username = 'root', password = 'pass') => {
        const req = t.http().post('/compat/login').type('form');
        return (key ? req.set('Cookie', withKey(key)) : req).send({ username, password });
      };
      const me = (key: string) => t.http().get('/compat/me').set('Cookie', withKey(key));

      it('logs in under a new key, the old one dead; passport.session() restores the user after', async () => {
        const before = sessionCookie(await t.http().get('/compat/set?k=cart&v=3').expect(200)).value;
        const res = await login(before).expect(201);
        const after = sessionCookie(res).value;
        expect(after).not.toBe(before);
        expect(res.body).toEqual({ user: { name: 'root' }, key: after });
        const restored = await me(after).expect(200);
        expect(restored.body.user).toEqual({ name: 'root' });
        expect(restored.body.session).toEqual({
          passport: { user: 'root' },
          ...(keepSessionInfo && { cart: '3' }),
        });
        await me(before).expect(401);
        expect((await t.rows()).map((row) => row.session_key)).toEqual([after]);
      });

      it("costs a read, the new row and the old row's delete to log in, and one read a request after", async () => {
        const before = sessionCookie(await t.http().get('/compat/set?k=cart&v=3').expect(200)).value;
        t.queries.reset();
        const after = sessionCookie(await login(before).expect(201)).value;
        // On Redis the user's index is written first; cached_db writes through to the cache.
        expect(t.queries.statements.map((sql) => sql.trim().split(/\s+/)[0].toUpperCase())).toEqual(
          {
            cache: ['SELECT', 'INDEX_SESSION', 'INSERT', 'DELETE'],
            cached_db: ['SELECT', 'INSERT', 'INSERT', 'DELETE', 'DEL'],
          }[db as string] ?? ['SELECT', 'INSERT', 'DELETE'],
        );
        t.queries.reset();
        await me(after).expect(200);
        expect(t.queries.count).toBe(1);
      });

      it('refuses wrong credentials, writing nothing', async () => {
        const res = await login(undefined, 'root', 'nope').expect(401);
        expect(setCookies(res)).toHaveLength(0);
        expect(await t.rows()).toHaveLength(0);
      });

      it('logs out: the user gone, the key rotated or the session ended', async () => {
        const key = sessionCookie(await login(undefined).expect(201)).value;
        await t.http().get('/compat/set?k=theme&v=dark').set('Cookie', withKey(key)).expect(200);
        const res = await t
          .http()
          .post(`/compat/logout?keep=${keepSessionInfo}`)
          .set('Cookie', withKey(key))
          .expect(201, 'logged out');
        const cookie = sessionCookie(res);
        await me(key).expect(401);
        if (keepSessionInfo) {
          expect(cookie.value).not.toBe(key);
          await me(cookie.value).expect(401);
          expect((await t.http().get('/compat/read').set('Cookie', withKey(cookie.value))).body).toEqual({
            passport: {},
            theme: 'dark',
          });
        } else {
          expect(cookie.attributes['max-age']).toBe('0');
          expect(await t.rows()).toHaveLength(0);
        }
      });

      it('logs out a user who no longer deserializes', async () => {
        const key = sessionCookie(await login(undefined, 'gone').expect(201)).value;
        await me(key).expect(401);
        const { body } = await t.http().get('/compat/read').set('Cookie', withKey(key));
        expect(body.passport?.user).toBeUndefined();
      });

      it('loses no acknowledged write of requests running during the login (5 trials)', async () => {
        let raced = 0;
        for (let trial = 0; trial < 5; trial++) {
          const key = sessionCookie(await t.http().get('/compat/set?k=start&v=1').expect(200)).value;
          const writes = Array.from({ length: 40 }, (_, i) =>
            t.http().get(`/compat/set?k=w${i}&v=${trial}`).set('Cookie', withKey(key)),
          );
          const all = await Promise.all(
            [...writes.slice(0, 20), login(key), ...writes.slice(20)].map((r) => r.then((res) => res)),
          );
          const [loggedIn] = all.splice(20, 1);
          expect(loggedIn.status).toBe(201);
          const fresh = sessionCookie(loggedIn).value;
          const session = (await t.http().get('/compat/read').set('Cookie', withKey(fresh))).body;
          for (const [i, res] of all.entries()) {
            if (res.status !== 200) {
              expect([i, res.status]).toEqual([i, 400]);
              continue;
            }
            const cookie = sessionCookie(res).value;
            if (cookie !== key) {
              // Came after the old key was gone: a session of its own holds it.
              const own = (await t.http().get('/compat/read').set('Cookie', withKey(cookie))).body;
              expect([i, own[`w${i}`]]).toEqual([i, String(trial)]);
            } else if (keepSessionInfo) {
              // Answered on the old session before the login retired it: the new session holds it.
              expect([i, session[`w${i}`]]).toEqual([i, String(trial)]);
              raced++;
            }
          }
          expect(session.passport).toEqual({ user: 'root' });
        }
        if (keepSessionInfo) expect(raced).toBeGreaterThan(0);
      }, 60_000);
    });
  },
);

/** A store whose reads fail, as a database that went away. */
class FailingReads extends MemorySessionStore {
  override load(): Promise<StoredSession | undefined> {
    return Promise.reject(new Error('connect ECONNREFUSED'));
  }
}

describe.each(['express', 'fastify'] as const)('%s: the compatible req.session when the store fails', (platform) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createExpressSessionApp('sqlite', { session: { store: new FailingReads() }, platform });
  });
  afterEach(() => t.close());

  it('answers 503 with a short message where a cookie must be read, and serves requests without one', async () => {
    const res = await t
      .http()
      .get('/compat/untouched')
      .set('Cookie', withKey('a'.repeat(32)))
      .expect(503);
    expect(res.body).toEqual({
      statusCode: 503,
      message: 'Session storage is unavailable; try again shortly.',
      error: 'Service Unavailable',
    });
    await t.http().get('/compat/untouched').expect(200, 'untouched');
  });
});
