import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  generateSessionKey,
  MemorySessionStore,
  SessionConfigError,
  SessionModule,
  type SessionModuleOptions,
} from '../src/session/index.js';
import { SessionCodec } from '../src/session/rows/session-codec.js';
import { ProbeController } from './support/probe.controller.js';
import {
  createTestApp,
  platformBackends,
  sessionCookie,
  setCookies,
  TEST_SECRET,
  type TestApp,
} from './support/test-app.js';

const withKey = (key: string, name = 'sessionid') => `${name}=${key}`;
/** When the stored row `key` expires, as its store has it. */
const expiryOf = async (t: TestApp, key: string): Promise<number> => (await t.store.load(key))!.expiresAt.getTime();

describe.each(platformBackends())('%s: session options on %s', (platform, db) => {
  let t: TestApp;
  afterEach(() => t?.close());
  const start = (options: SessionModuleOptions = {}) => createTestApp(db, [ProbeController], options, { platform });

  describe('saveEveryRequest', () => {
    beforeEach(async () => {
      t = await start({ saveEveryRequest: true });
    });

    it('re-saves a session on a read and re-sends its cookie with a fresh expiry', async () => {
      // A session saved a while ago: it expires in an hour.
      const key = generateSessionKey();
      const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const data = new SessionCodec(TEST_SECRET).encode(key, '{"id":1}', expiresAt);
      await t.store.create(key, { data, expiresAt });
      const res = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(res).value).toBe(key);
      const expires = await expiryOf(t, key);
      expect(Math.abs(expires - (Date.now() + 1_209_600_000))).toBeLessThan(60_000);
    });

    it('saves even on a route that never touches the session', async () => {
      const key = sessionCookie(await t.http().get('/save')).value;
      const res = await t.http().get('/untouched').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(res).value).toBe(key);
    });

    it('writes nothing for a client without a session', async () => {
      const res = await t.http().get('/untouched').expect(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await t.rows()).toHaveLength(0);
    });

    it('deletes the cookie of an unknown key instead of saving an empty session', async () => {
      const res = await t.http().get('/untouched').set('Cookie', withKey(generateSessionKey())).expect(200);
      expect(sessionCookie(res).attributes['max-age']).toBe('0');
      expect(await t.rows()).toHaveLength(0);
    });
  });

  describe('expiry', () => {
    it('expireAtBrowserClose sends a cookie without Max-Age or expires; the row still expires after cookieAge', async () => {
      t = await start({ expireAtBrowserClose: true, cookieAge: 600 });
      const cookie = sessionCookie(await t.http().get('/save').expect(200));
      expect(cookie.attributes['max-age']).toBeUndefined();
      expect(cookie.attributes.expires).toBeUndefined();
      const expires = await expiryOf(t, cookie.value);
      expect(Math.abs(expires - (Date.now() + 600_000))).toBeLessThan(60_000);
    });

    it('setExpiry(seconds), setExpiry(0) and setExpiry(date) shape the cookie as Django does', async () => {
      t = await start();
      const short = await t.http().get('/expiry?seconds=60').expect(200);
      expect(short.body).toEqual({ age: 60, browserClose: false });
      expect(sessionCookie(short).attributes['max-age']).toBe('60');

      const browser = await t.http().get('/expiry?seconds=0').expect(200);
      expect(browser.body).toEqual({ age: 1_209_600, browserClose: true });
      expect(sessionCookie(browser).attributes['max-age']).toBeUndefined();

      const date = new Date(Date.now() + 3_600_000).toISOString();
      const fixed = await t
        .http()
        .get(`/expiry?date=${encodeURIComponent(date)}`)
        .expect(200);
      const maxAge = Number(sessionCookie(fixed).attributes['max-age']);
      expect(maxAge).toBeGreaterThan(3_590);
      expect(maxAge).toBeLessThanOrEqual(3_600);
    });

    it('a custom expiry lasts across requests', async () => {
      t = await start();
      const key = sessionCookie(await t.http().get('/expiry?seconds=120')).value;
      const res = await t.http().get('/set?k=more&v=1').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(res).attributes['max-age']).toBe('120');
    });
  });

  it('cookie name, age, domain, path, Secure, HttpOnly and SameSite follow the options', async () => {
    t = await start({
      cookieName: 'sid',
      cookieAge: 300,
      cookieDomain: 'example.test',
      cookiePath: '/',
      cookieSecure: true,
      cookieHttpOnly: false,
      cookieSameSite: 'Strict',
    });
    const res = await t.http().get('/save').expect(200);
    const cookie = sessionCookie(res, 'sid');
    expect(cookie.attributes).toEqual({
      domain: 'example.test',
      path: '/',
      secure: true,
      samesite: 'Strict',
      'max-age': '300',
      expires: expect.any(String),
    });
    const read = await t
      .http()
      .get('/read')
      .set('Cookie', `sessionid=x; ${withKey(cookie.value, 'sid')}`);
    expect(read.body).toEqual({ id: 1, name: 'root' });
    expect(setCookies(read, 'sessionid')).toHaveLength(0);
  });

  it('rows signed with a secret listed in secretFallbacks still load and are re-signed on save; others read as empty', async () => {
    const oldSecret = 'the-previous-secret-also-32-characters!!';
    const key = generateSessionKey();
    const expiresAt = new Date(Date.now() + 60_000);
    const row = { data: new SessionCodec(oldSecret).encode(key, '{"who":"old"}', expiresAt), expiresAt };

    t = await start({ secretFallbacks: [oldSecret] });
    await t.store.create(key, row);
    expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ who: 'old' });
    // The next save signs the row with the current secret alone.
    await t.http().get('/set?k=more&v=1').set('Cookie', withKey(key)).expect(200);
    const resigned = (await t.store.load(key))!;
    expect(new SessionCodec(TEST_SECRET).decode(key, resigned.data, resigned.expiresAt)?.data).toEqual({
      who: 'old',
      more: '1',
    });
    expect(new SessionCodec(oldSecret).decode(key, resigned.data, resigned.expiresAt)).toBeUndefined();
    await t.close();

    t = await start();
    await t.store.create(key, row);
    expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({});
  });

  // The database's own fault; Redis faults are test/redis-faults.e2e-spec.ts's.
  (db !== 'cache' && db !== 'cached_db' ? it : it.skip)(
    'a store that fails gives a 503 with a short message, and untouched routes keep working',
    async () => {
      t = await start();
      const key = sessionCookie(await t.http().get('/save')).value;
      await t.dataSource.destroy();
      const res = await t.http().get('/read').set('Cookie', withKey(key)).expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Session storage is unavailable; try again shortly.',
      });
      await t.http().get('/untouched').set('Cookie', withKey(key)).expect(200, 'untouched');
    },
  );
});

describe('module setup', () => {
  const SETTINGS = Symbol('settings');
  @Module({
    providers: [{ provide: SETTINGS, useValue: { secret: TEST_SECRET, cookieName: 'asyncsid' } }],
    exports: [SETTINGS],
  })
  class SettingsModule {}

  it('forRootAsync takes options from an injected provider, and a custom store needs no TypeORM', async () => {
    const store = new MemorySessionStore();
    const moduleRef = await Test.createTestingModule({
      imports: [
        SessionModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: { secret: string; cookieName: string }) => ({ ...settings, store }),
        }),
      ],
      controllers: [ProbeController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const cookie = sessionCookie(await request(app.getHttpServer()).get('/save').expect(200), 'asyncsid');
      expect(await store.exists(cookie.value)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it.each([
    ['missing', undefined],
    ['short', 'too-short'],
  ])('refuses to start in production with a %s secret, saying what to set', async (_name, secret) => {
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const compiling = Test.createTestingModule({
        imports: [SessionModule.forRoot({ secret, store: new MemorySessionStore() })],
      }).compile();
      await expect(compiling).rejects.toThrow(SessionConfigError);
      await expect(compiling).rejects.toThrow(/as `secret`/);
    } finally {
      process.env.NODE_ENV = env;
    }
  });

  it('without a store nor TypeORM, start fails naming what to import', async () => {
    const compiling = Test.createTestingModule({ imports: [SessionModule.forRoot({ secret: TEST_SECRET })] }).compile();
    await expect(compiling).rejects.toThrow(/TypeOrmModule\.forRoot\(\)/);
  });
});
