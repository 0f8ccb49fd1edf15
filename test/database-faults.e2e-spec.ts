import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { generateSessionKey, SessionKeyTakenError, SessionModule, TypeOrmSessionStore } from '../src/session/index.js';
import { testDatabases, testDataSourceOptions, type TestDatabase } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sessionCookie, startTestApp, TEST_SECRET, type TestPlatform } from './support/test-app.js';

const STORE_TIMEOUT = 1_000;
// How much later than storeTimeout a 503 may come: the deadline sweep, and HTTP on a busy machine.
const MARGIN = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const servers = testDatabases().filter((db): db is Exclude<TestDatabase, 'sqlite'> => db !== 'sqlite');
if (servers.length === 0) console.warn('Skipping the database fault tests: they need MariaDB or PostgreSQL.');
const defaultPorts = { mariadb: 3306, postgres: 5432 };

const platforms: TestPlatform[] = ['express', 'fastify'];
const cases = servers.flatMap((db) => platforms.map((platform) => [db, platform] as const));

(cases.length ? describe.each(cases) : describe.skip.each([['mariadb', 'express'] as const]))(
  '%s going away and coming back (through a TCP proxy), on %s',
  (db, platform) => {
    let proxy: TcpProxy;
    let app: INestApplication;
    const http = () => request(app.getHttpServer());
    let key: string;
    let direct: DataSource;

    beforeAll(async () => {
      const options = (await testDataSourceOptions(db)) as DataSourceOptions & { url: string };
      direct = await new DataSource({ ...options, migrationsRun: false }).initialize();
      const target = new URL(options.url);
      proxy = new TcpProxy(target.hostname, Number(target.port || defaultPorts[db]));
      const viaProxy = Object.assign(new URL(options.url), { port: String(await proxy.listen()) }).toString();
      // Each driver's own name for how long a new connection may take.
      const connectTimeout = db === 'postgres' ? { connectTimeoutMS: 2_000 } : { connectTimeout: 2_000 };
      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot({ ...options, url: viaProxy, ...connectTimeout } as DataSourceOptions),
          SessionModule.forRoot({ secret: TEST_SECRET, storeTimeout: STORE_TIMEOUT }),
        ],
        controllers: [ProbeController],
      }).compile();
      app = await startTestApp(moduleRef, platform);
      key = sessionCookie(await http().get('/save').expect(200)).value;
    });
    afterAll(async () => {
      proxy.restore();
      await app?.close();
      await proxy?.close();
      await direct?.destroy();
    });

    /** The keys of the rows in the database, read past the proxy. */
    const storedKeys = async (): Promise<string[]> =>
      (await direct.query('SELECT session_key FROM session')).map((row: { session_key: string }) => row.session_key);

    /** A request's status and how long it took. */
    async function timed(path: string, cookieKey?: string): Promise<{ status: number; ms: number }> {
      const started = Date.now();
      const req = http().get(path);
      const res = await (cookieKey ? req.set('Cookie', `sessionid=${cookieKey}`) : req);
      return { status: res.status, ms: Date.now() - started };
    }

    /** Polls until the session reads back, as a client retrying would; resolves how long it took. */
    async function recovered(): Promise<number> {
      const started = Date.now();
      while (Date.now() - started < 15_000) {
        const res = await http().get('/read').set('Cookie', `sessionid=${key}`);
        if (res.status === 200 && res.body.id === 1) return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the session did not come back within 15 s of the database');
    }

    it('while the connection is cut: 503 with a short message, untouched routes still served', async () => {
      proxy.cut();
      const started = Date.now();
      const res = await http().get('/read').set('Cookie', `sessionid=${key}`).expect(503);
      expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT + MARGIN);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Session storage is unavailable; try again shortly.',
      });
      await http().get('/untouched').set('Cookie', `sessionid=${key}`).expect(200, 'untouched');
      await http().get('/save').expect(503);
      proxy.restore();
      await recovered();
    }, 30_000);

    it('while the database does not answer: 503 within the store timeout, then recovery', async () => {
      proxy.pause();
      const started = Date.now();
      await http().get('/read').set('Cookie', `sessionid=${key}`).expect(503);
      expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT + MARGIN);
      await http().get('/untouched').expect(200);
      proxy.restore();
      await recovered();
    }, 30_000);

    it('a write whose statement gets no answer: 503 within the store timeout of its save', async () => {
      const own = sessionCookie(await http().get('/save').expect(200)).value;
      const write = timed('/slow-set?k=during&v=silence&ms=300', own);
      await sleep(150);
      proxy.pause();
      const { status, ms } = await write;
      expect(status).toBe(503);
      expect(ms).toBeLessThan(300 + STORE_TIMEOUT + MARGIN);
      proxy.restore();
      await recovered();
      // The statement was on its way: whether it committed is unknown (the README says so).
      const { body } = await http().get('/read').set('Cookie', `sessionid=${own}`).expect(200);
      expect(body).toMatchObject({ id: 1, name: 'root' });
    }, 30_000);

    it('half-open (the pooled connections silent for good, new ones pass): 503 in time, then service comes back by itself', async () => {
      // Every pooled connection has been used, so that all of them go silent.
      await Promise.all(
        Array.from({ length: 20 }, () => http().get('/read').set('Cookie', `sessionid=${key}`).expect(200)),
      );
      proxy.halfOpen();
      const started = Date.now();
      const first = await timed('/read', key);
      expect(first.status).toBe(503);
      expect(first.ms).toBeLessThan(STORE_TIMEOUT + MARGIN);
      await recovered();
      // The old sockets never answer again, yet service is back within about two store timeouts.
      expect(Date.now() - started).toBeLessThan(2 * STORE_TIMEOUT + MARGIN);
      const own = sessionCookie(await http().get('/save').expect(200)).value;
      const during = await Promise.all(Array.from({ length: 20 }, (_, i) => timed(`/set?k=after${i}&v=1`, own)));
      expect(during.map((r) => r.status)).toEqual(during.map(() => 200));
    }, 30_000);

    it.each(['/flush', '/cycle'])(
      'a write answered 503 whose statement commits later cannot bring back a session ended by %s meanwhile',
      async (ending) => {
        const victim = sessionCookie(await http().get('/save').expect(200)).value;
        const write = timed('/slow-set?k=late&v=1&ms=300', victim);
        await sleep(150);
        // The write's UPDATE reaches the database long after the app gave up on it.
        proxy.delay(2.5 * STORE_TIMEOUT);
        expect((await write).status).toBe(503);
        proxy.delay(0);
        const ended = await http().get(ending).set('Cookie', `sessionid=${victim}`);
        expect(ended.status).toBe(200);
        // The late UPDATE arrives and runs now.
        await sleep(2.5 * STORE_TIMEOUT);
        expect(await storedKeys()).not.toContain(victim);
        expect((await http().get('/read').set('Cookie', `sessionid=${victim}`).expect(200)).body).toEqual({});
        if (ending === '/cycle') {
          const fresh = sessionCookie(ended).value;
          expect((await http().get('/read').set('Cookie', `sessionid=${fresh}`).expect(200)).body).toMatchObject({
            id: 1,
            name: 'root',
          });
        }
      },
      30_000,
    );

    it('writes refused during the outage left nothing half-written', async () => {
      proxy.cut();
      await http().get('/set?k=during&v=outage').set('Cookie', `sessionid=${key}`).expect(503);
      proxy.restore();
      await recovered();
      const res = await http().get('/read').set('Cookie', `sessionid=${key}`).expect(200);
      expect(res.body).toEqual({ id: 1, name: 'root' });
    }, 30_000);

    it('writes saved together as one group, cut before they reach the database: each 503, none half-written', async () => {
      const keys = [key];
      for (let i = 0; i < 5; i++) keys.push(sessionCookie(await http().get('/save').expect(200)).value);
      // The sessions load at once; the database goes away while the handlers wait; their saves
      // then start within a turn or two, most of them sharing one transaction.
      const writes = keys.map((k) => http().get('/slow-set?k=during&v=outage&ms=300').set('Cookie', `sessionid=${k}`));
      setTimeout(() => proxy.cut(), 150);
      expect((await Promise.all(writes)).map((res) => res.status)).toEqual(keys.map(() => 503));
      proxy.restore();
      await recovered();
      for (const k of keys) {
        const res = await http().get('/read').set('Cookie', `sessionid=${k}`).expect(200);
        expect(res.body).toEqual({ id: 1, name: 'root' });
      }
    }, 30_000);
  },
);

(servers.length ? describe.each(servers) : describe.skip.each(['mariadb' as const]))('statements %s refuses', (db) => {
  it('leave their connection to the pool: more refused than the pool holds, and the store still answers', async () => {
    const options = await testDataSourceOptions(db);
    const dataSource = await new DataSource({ ...options, poolSize: 2 } as DataSourceOptions).initialize();
    try {
      const store = new TypeOrmSessionStore(dataSource, { statementTimeout: STORE_TIMEOUT, batching: false });
      const key = generateSessionKey();
      const row = (data: string) => ({ data, expiresAt: new Date(Date.now() + 60_000) });
      await store.create(key, row('first'));
      for (let i = 0; i < 5; i++) await expect(store.create(key, row('again'))).rejects.toThrow(SessionKeyTakenError);
      expect((await store.load(key))?.data).toBe('first');
    } finally {
      await dataSource.destroy();
    }
  });
});
