import { createClient } from 'redis';
import type { DataSource } from 'typeorm';
import {
  CachedSessionStore,
  generateSessionKey,
  TypeOrmSessionStore,
  type SessionStore,
  type StoredSession,
} from '../src/session/index.js';
import { createTestDataSource, QueryCounter, testDatabases } from './support/databases.js';
import { connectTestRedis, testRedisUrl } from './support/redis.js';
import { describeStoreOverHttp } from './support/store-over-http.js';
import { TcpProxy } from './support/tcp-proxy.js';

const later = () => new Date(Date.now() + 3_600_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OPERATION_TIMEOUT = 200;

if (!testRedisUrl()) console.warn('Skipping the CachedSessionStore tests: no Redis answered.');

(testRedisUrl() ? describe.each(testDatabases()) : describe.skip.each(testDatabases()))(
  'CachedSessionStore in front of %s',
  (db) => {
    let dataSource: DataSource;
    let queries: QueryCounter;
    let primary: TypeOrmSessionStore;
    const open: { close(): Promise<void> | void }[] = [];
    let prefix: string;

    /** A store of its own process: its own Redis connection, the shared primary and cache. */
    async function process_(through: SessionStore = primary): Promise<CachedSessionStore> {
      const redis = await connectTestRedis('single');
      open.push(redis);
      prefix ??= redis.prefix;
      const store = new CachedSessionStore(through, redis.redis, { prefix, operationTimeout: OPERATION_TIMEOUT });
      open.push(store);
      return store;
    }

    beforeEach(async () => {
      queries = new QueryCounter();
      dataSource = await createTestDataSource(db, queries);
      primary = new TypeOrmSessionStore(dataSource);
      prefix = undefined as unknown as string;
    });
    afterEach(async () => {
      for (const item of open.reverse()) await item.close();
      open.length = 0;
      await dataSource.destroy();
    });

    it('answers a read from the cache, without the primary, once a read has filled it', async () => {
      const store = await process_();
      const key = generateSessionKey();
      await store.create(key, { data: 'v0', expiresAt: later() });
      await store.load(key);
      queries.reset();
      expect(await store.load(key)).toMatchObject({ data: 'v0', version: 0 });
      expect(queries.count).toBe(0);
    });

    it('serves no process an older row after another saved or deleted it', async () => {
      const [a, b] = [await process_(), await process_()];
      const key = generateSessionKey();
      await a.create(key, { data: 'v0', expiresAt: later() });
      expect(await b.load(key)).toMatchObject({ data: 'v0', version: 0 });
      expect(await a.update(key, { data: 'v1', expiresAt: later() }, 0)).toBe(true);
      expect(await b.load(key)).toMatchObject({ data: 'v1', version: 1 });
      // A save that lost the race leaves no row of its own in the cache.
      expect(await b.update(key, { data: 'stale', expiresAt: later() }, 0)).toBe(false);
      expect(await a.load(key)).toMatchObject({ data: 'v1', version: 1 });
      expect(await a.delete(key)).toBe(true);
      expect(await b.load(key)).toBeUndefined();
      expect(await a.load(key)).toBeUndefined();
    });

    it('drops a fill read from the primary before a save that landed first', async () => {
      const key = generateSessionKey();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // B's read of the primary comes back only after A has saved and answered.
      const slowPrimary: SessionStore = Object.assign(Object.create(primary) as SessionStore, {
        load: async (asked: string): Promise<StoredSession | undefined> => {
          const row = await primary.load(asked);
          await held;
          return row;
        },
      });
      const [a, b] = [await process_(), await process_(slowPrimary)];
      await primary.create(key, { data: 'v0', expiresAt: later() });
      const reading = b.load(key);
      await sleep(50);
      expect(await a.update(key, { data: 'v1', expiresAt: later() }, 0)).toBe(true);
      release();
      expect(await reading).toMatchObject({ data: 'v0' });
      await sleep(50);
      expect(await a.load(key)).toMatchObject({ data: 'v1', version: 1 });
      expect(await b.load(key)).toMatchObject({ data: 'v1', version: 1 });
    });

    describe.each([
      ['reset', (proxy: TcpProxy) => proxy.cut()],
      ['black-holed', (proxy: TcpProxy) => proxy.pause()],
      ['half-open', (proxy: TcpProxy) => proxy.halfOpen()],
    ])('with its Redis %s', (_fault, fail) => {
      let proxy: TcpProxy;
      let cutOff: CachedSessionStore;
      let other: CachedSessionStore;
      beforeEach(async () => {
        const target = new URL(testRedisUrl()!);
        proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
        const client = createClient({ url: `redis://127.0.0.1:${await proxy.listen()}`, disableOfflineQueue: true });
        client.on('error', () => {});
        await client.connect();
        other = await process_();
        cutOff = new CachedSessionStore(primary, client, { prefix, operationTimeout: OPERATION_TIMEOUT });
        open.push({ close: () => proxy.close() }, { close: () => client.destroy() }, cutOff);
      });

      it('reads and writes through the primary in time, and serves nothing stale once back', async () => {
        const key = generateSessionKey();
        await cutOff.create(key, { data: 'v0', expiresAt: later() });
        expect(await other.load(key)).toMatchObject({ data: 'v0' });
        fail(proxy);
        const started = Date.now();
        expect(await cutOff.load(key)).toMatchObject({ data: 'v0' });
        expect(await cutOff.update(key, { data: 'v1', expiresAt: later() }, 0)).toBe(true);
        expect(await cutOff.load(key)).toMatchObject({ data: 'v1', version: 1 });
        expect(Date.now() - started).toBeLessThan(3 * OPERATION_TIMEOUT + 1_000);
        proxy.restore();
        expect(await cutOff.load(key)).toMatchObject({ data: 'v1', version: 1 });
        // The invalidation it owed goes through once Redis answers again; then no one reads v0.
        await waitFor(async () => (await other.load(key))?.data === 'v1');
        expect(await cutOff.load(key)).toMatchObject({ data: 'v1', version: 1 });
      });
    });
  },
);

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 10_000) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error('not within 10 s');
}

// A read is answered from the cache, the table untouched.
describeStoreOverHttp('cached_db', ['SELECT']);
