import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createClient } from 'redis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  CachedSessionStore,
  RedisSessionStore,
  SessionModule,
  statementTimeoutFor,
  TypeOrmSessionStore,
  type RedisLike,
  type SessionStore,
} from '../src/session/index.js';
import { testDatabases, testDataSourceOptions } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { connectTestRedis, testRedisPrefix, testRedisUrl } from './support/redis.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sessionCookie, TEST_SECRET } from './support/test-app.js';

const STORE_TIMEOUT = 1_000;
// How much later than storeTimeout a 503 may come: the deadline sweep, and HTTP on a busy machine.
const MARGIN = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Fault = 'reset' | 'black hole' | 'half-open';
const faults: [Fault, (proxy: TcpProxy) => void][] = [
  ['reset', (proxy) => proxy.cut()],
  ['black hole', (proxy) => proxy.pause()],
  ['half-open', (proxy) => proxy.halfOpen()],
];

/** An app on `store`, with the Redis client `store` was given going through `proxy`. */
async function probeApp(store: SessionStore): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot({ secret: TEST_SECRET, storeTimeout: STORE_TIMEOUT, store })],
    controllers: [ProbeController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** A node-redis client that reaches the suite's Redis through a proxy of its own. */
async function proxiedRedis(): Promise<{ proxy: TcpProxy; client: RedisLike & { destroy(): void } }> {
  const target = new URL(testRedisUrl()!);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  const client = createClient({ url: `redis://127.0.0.1:${await proxy.listen()}`, disableOfflineQueue: true });
  client.on('error', () => {});
  await client.connect();
  return { proxy, client };
}

/** Polls until `check` holds, as a client retrying would; resolves how long it took. */
async function recovered(check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 15_000) {
    if (await check()) return Date.now() - started;
    await sleep(100);
  }
  throw new Error('no recovery within 15 s');
}

if (!testRedisUrl()) console.warn('Skipping the Redis fault tests: no Redis answered.');

(testRedisUrl() ? describe.each(faults) : describe.skip.each(faults))('Redis behind a %s', (_fault, fail) => {
  let proxy: TcpProxy;
  let client: RedisLike & { destroy(): void };
  let app: INestApplication;
  const closers: (() => Promise<unknown> | void)[] = [];
  const http = () => request(app.getHttpServer());
  const read = (key: string) => http().get('/read').set('Cookie', `sessionid=${key}`);

  beforeEach(async () => {
    ({ proxy, client } = await proxiedRedis());
    closers.push(
      () => proxy.close(),
      () => client.destroy(),
    );
  });
  afterEach(async () => {
    proxy.restore();
    await app?.close();
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('cache: 503 within the store timeout, untouched routes served, then service comes back by itself', async () => {
    const store = new RedisSessionStore(client, {
      prefix: testRedisPrefix(),
      commandTimeout: statementTimeoutFor(STORE_TIMEOUT),
    });
    app = await probeApp(store);
    const key = sessionCookie(await http().get('/save').expect(200)).value;
    fail(proxy);
    const started = Date.now();
    const res = await read(key).expect(503);
    expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT + MARGIN);
    expect(res.body.message).toBe('Session storage is unavailable; try again shortly.');
    await http().get('/untouched').set('Cookie', `sessionid=${key}`).expect(200, 'untouched');
    // A half-open connection stays silent: the store has to replace it; the others are restored.
    setTimeout(() => proxy.restore(), _fault === 'half-open' ? 0 : 500).unref();
    await recovered(async () => (await read(key)).body.id === 1);
    await http().get('/set?k=after&v=1').set('Cookie', `sessionid=${key}`).expect(200);
    expect((await read(key).expect(200)).body).toEqual({ id: 1, name: 'root', after: '1' });
  }, 30_000);

  it('cached_db: every request answered from the database meanwhile, no write lost, the old row read nowhere once back', async () => {
    const options = await testDataSourceOptions(testDatabases().includes('mariadb') ? 'mariadb' : 'sqlite');
    const dataSource = await new DataSource(options).initialize();
    closers.push(() => dataSource.destroy());
    const primary = new TypeOrmSessionStore(dataSource);
    const prefix = testRedisPrefix();
    const cutOff = new CachedSessionStore(primary, client, { prefix, operationTimeout: 200 });
    closers.push(() => cutOff.close());
    app = await probeApp(cutOff);
    // Another server process, whose Redis stays up.
    const redis = await connectTestRedis('single');
    closers.push(() => redis.close());
    const elsewhere = new CachedSessionStore(primary, redis.redis, { prefix });
    closers.push(() => elsewhere.close());
    const otherApp = await probeApp(elsewhere);
    closers.push(() => otherApp.close());
    const readElsewhere = (key: string) =>
      request(otherApp.getHttpServer()).get('/read').set('Cookie', `sessionid=${key}`);

    const key = sessionCookie(await http().get('/save').expect(200)).value;
    expect((await readElsewhere(key).expect(200)).body).toEqual({ id: 1, name: 'root' });
    fail(proxy);
    const started = Date.now();
    await http().get('/set?k=during&v=fault').set('Cookie', `sessionid=${key}`).expect(200);
    expect((await read(key).expect(200)).body).toEqual({ id: 1, name: 'root', during: 'fault' });
    const fresh = sessionCookie(await http().get('/save').expect(200)).value;
    expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT);
    proxy.restore();
    // Once the cut-off process has dropped the cached row it could not update, no process reads the old one.
    await recovered(async () => (await readElsewhere(key)).body.during === 'fault');
    expect((await read(key).expect(200)).body).toEqual({ id: 1, name: 'root', during: 'fault' });
    expect((await readElsewhere(fresh).expect(200)).body).toEqual({ id: 1, name: 'root' });
  }, 30_000);
});
