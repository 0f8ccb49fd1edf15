import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { DataSourceOptions } from 'typeorm';
import { SessionModule } from '../src/session/index.js';
import { testDatabases, testDataSourceOptions } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sessionCookie, TEST_SECRET } from './support/test-app.js';

const STORE_TIMEOUT = 1_000;
const onMariadb = testDatabases().includes('mariadb');
if (!onMariadb) console.warn('Skipping the database fault tests: they need MariaDB.');

(onMariadb ? describe : describe.skip)('MariaDB going away and coming back (through a TCP proxy)', () => {
  let proxy: TcpProxy;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());
  let key: string;

  beforeAll(async () => {
    const direct = (await testDataSourceOptions('mariadb')) as DataSourceOptions & { url: string };
    const target = new URL(direct.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 3306));
    const viaProxy = Object.assign(new URL(direct.url), { port: String(await proxy.listen()) }).toString();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...direct, url: viaProxy, connectTimeout: 2_000 } as DataSourceOptions),
        SessionModule.forRoot({ secret: TEST_SECRET, storeTimeout: STORE_TIMEOUT }),
      ],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    key = sessionCookie(await http().get('/save').expect(200)).value;
  });
  afterAll(async () => {
    proxy.restore();
    await app?.close();
    await proxy?.close();
  });

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
    expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT + 3_000);
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
    expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT + 1_500);
    await http().get('/untouched').expect(200);
    proxy.restore();
    await recovered();
  }, 30_000);

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
});
