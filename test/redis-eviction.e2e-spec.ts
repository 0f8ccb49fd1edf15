import { Test } from '@nestjs/testing';
import { createClient, createCluster } from 'redis';
import type { DataSource } from 'typeorm';
import {
  CachedSessionStore,
  generateSessionKey,
  RedisSessionStore,
  SessionModule,
  TypeOrmSessionStore,
  type SessionStore,
} from '../src/session/index.js';
import { createTestDataSource, testDatabases } from './support/databases.js';
import { ownRedisRuns, startRedisCluster, startRedisServer } from './support/redis-cluster.mjs';
import { boundInfo, connectTestRedis, type TestRedis } from './support/redis.js';
import { TEST_SECRET } from './support/test-app.js';

const runs = ownRedisRuns();
if (!runs) console.warn('Skipping the Redis eviction tests: redis-server is not installed.');

// A little above what an empty Redis takes (about 1 MB): the sessions below fill it in a second.
const MAXMEMORY = '3mb';
const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const SESSIONS_PER_USER = 5;

const later = () => new Date(Date.now() + 3_600_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A field of the `INFO` section `section` of a single Redis. */
async function infoField(redis: TestRedis, section: string, field: string): Promise<string | undefined> {
  const reply = String(await redis.raw('', ['INFO', section]));
  return new RegExp(`^${field}:(\\S+)`, 'm').exec(reply)?.[1];
}

const evicted = async (redis: TestRedis) => Number(await infoField(redis, 'stats', 'evicted_keys'));

/** Bound sessions of every user; resolves their keys by user. */
async function createBound(store: SessionStore, data: string): Promise<Map<string, string[]>> {
  const keys = new Map(USERS.map((user) => [user, Array.from({ length: SESSIONS_PER_USER }, generateSessionKey)]));
  await Promise.all(
    [...keys].flatMap(([user, own]) =>
      own.map((key) => store.create(key, { data, expiresAt: later(), info: boundInfo(user) })),
    ),
  );
  return keys;
}

/** Writes with `write`, a batch at a time, until Redis has evicted at least `count` keys. */
async function pressUntilEvicted(redis: TestRedis, count: number, write: (batch: number) => Promise<unknown>) {
  for (let batch = 0; (await evicted(redis)) < count; batch++) {
    if (batch === 100) throw new Error(`Redis evicted only ${await evicted(redis)} keys`);
    await write(batch);
  }
}

/** The live rows of `RedisSessionStore` under `redis.prefix` that their user's index no longer holds. */
async function unindexedRows(redis: TestRedis): Promise<{ key: string; userId: string }[]> {
  const unindexed: { key: string; userId: string }[] = [];
  for (const rowKey of await redis.keys()) {
    if (rowKey.startsWith(`${redis.prefix}user:`)) continue;
    const row = (await redis.raw(rowKey, ['HGET', rowKey, 'i'])) as string | null;
    const userId = row && (JSON.parse(row) as [string | null])[0];
    if (!userId) continue;
    const key = rowKey.slice(redis.prefix.length);
    const index = `${redis.prefix}user:${userId}`;
    if ((await redis.raw(index, ['ZSCORE', index, key])) === null) unindexed.push({ key, userId });
  }
  return unindexed;
}

(runs ? describe : describe.skip)('RedisSessionStore and Redis eviction', () => {
  const servers: { url: string; stop(): void }[] = [];
  const urls: Record<string, string> = {};
  const open: TestRedis[] = [];

  beforeAll(async () => {
    for (const policy of ['allkeys-random', 'volatile-lru', 'noeviction', 'allkeys-lru']) {
      const server = await startRedisServer(['--maxmemory', MAXMEMORY, '--maxmemory-policy', policy]);
      servers.push(server);
      urls[policy] = server.url;
    }
  });
  afterAll(() => {
    for (const server of servers) server.stop();
  });
  afterEach(async () => {
    for (const redis of open.splice(0)) await redis.close();
  });

  async function connect(policy: string): Promise<TestRedis> {
    const redis = await connectTestRedis('single', urls[policy]);
    open.push(redis);
    return redis;
  }

  describe.each(['allkeys-random', 'volatile-lru'])('on maxmemory-policy %s', (policy) => {
    it('refuses to start, naming the policy and what to do', async () => {
      const redis = await connect(policy);
      const store: SessionStore = new RedisSessionStore(redis.redis, { prefix: redis.prefix, closeClient: false });
      const moduleRef = await Test.createTestingModule({
        imports: [SessionModule.forRoot({ secret: TEST_SECRET, store })],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await expect(app.init()).rejects.toThrow(
        `RedisSessionStore needs maxmemory-policy noeviction, but Redis runs with maxmemory-policy ${policy}`,
      );
      await app.close();
      await expect(store.checkReady?.()).rejects.toThrow(
        /Set maxmemory-policy noeviction .*, or keep sessions with CachedSessionStore \(cached_db\)/,
      );
    });

    it('refuses to list the sessions of a user once Redis evicted the index of live ones', async () => {
      // A store that started before the policy was set: Redis fills up, and evicts.
      const redis = await connect(policy);
      const store = new RedisSessionStore(redis.redis, { prefix: redis.prefix, closeClient: false });
      const keys = await createBound(store, 'b'.repeat(200));
      // Every request reads its row: the indexes, written only by saves, are the least recently used.
      await sleep(1_100);
      await Promise.all([...keys.values()].flat().map((key) => store.load(key)));
      const filler = 'f'.repeat(1_000);
      await pressUntilEvicted(redis, 1_000, () =>
        Promise.all(
          Array.from({ length: 200 }, () => store.create(generateSessionKey(), { data: filler, expiresAt: later() })),
        ),
      );
      const unindexed = await unindexedRows(redis);
      expect(unindexed.length).toBeGreaterThan(0);
      // Listed, they would be missing, and "log out everywhere else" would leave them logged in.
      for (const userId of new Set(unindexed.map((row) => row.userId))) {
        await expect(store.listByUser(userId)).rejects.toThrow(`maxmemory-policy ${policy}`);
      }
    });
  });

  it('on noeviction, starts, and a full Redis refuses new sessions but lists and revokes every one it holds', async () => {
    const redis = await connect('noeviction');
    const store: SessionStore = new RedisSessionStore(redis.redis, { prefix: redis.prefix, closeClient: false });
    await store.checkReady?.();
    const created = new Map<string, string[]>(USERS.map((user) => [user, []]));
    let refused: unknown;
    for (let round = 0; !refused; round++) {
      if (round === 100) throw new Error('Redis never filled up');
      await Promise.all(
        USERS.map(async (user) => {
          const key = generateSessionKey();
          try {
            await store.create(key, { data: 'n'.repeat(1_000), expiresAt: later(), info: boundInfo(user) });
            created.get(user)!.push(key);
          } catch (error) {
            refused = error;
          }
        }),
      );
    }
    expect((refused as Error).message).toMatch(/^OOM command not allowed/);
    expect(await evicted(redis)).toBe(0);
    for (const [user, keys] of created) {
      expect((await store.listByUser!(user)).map((row) => row.key).sort()).toEqual(keys.sort());
    }
    // Memory is still full: ending sessions frees it and needs none.
    const [user, keys] = [...created][0];
    expect(await Promise.all(keys.map((key) => store.delete(key)))).toEqual(keys.map(() => true));
    expect(await store.listByUser!(user)).toEqual([]);
    expect((await unindexedRows(redis)).length).toBe(0);
  });

  it('refuses to list once the policy is changed to an evicting one while the app runs', async () => {
    const redis = await connect('noeviction');
    const store: SessionStore = new RedisSessionStore(redis.redis, { prefix: redis.prefix, closeClient: false });
    await store.checkReady?.();
    const key = generateSessionKey();
    await store.create(key, { data: 'x', expiresAt: later(), info: boundInfo('ann') });
    await redis.raw('', ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    try {
      await expect(store.listByUser!('ann')).rejects.toThrow('runs with maxmemory-policy allkeys-lru');
    } finally {
      await redis.raw('', ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    }
    expect((await store.listByUser!('ann')).map((row) => row.key)).toEqual([key]);
  });

  it('refuses to start where its Redis user may not read the policy, and says so', async () => {
    const admin = await connect('noeviction');
    await admin.raw('', ['ACL', 'SETUSER', 'no-info', 'on', '>pw', '~*', '+@all', '-info']);
    const limited = createClient({ url: urls.noeviction.replace('//', '//no-info:pw@') });
    limited.on('error', () => {});
    try {
      await limited.connect();
      const store: SessionStore = new RedisSessionStore(limited, { closeClient: false });
      await expect(store.checkReady?.()).rejects.toThrow(
        /could not read the maxmemory-policy of Redis \(INFO memory: NOPERM.*\), .*Allow the INFO command/,
      );
    } finally {
      limited.destroy();
      await admin.raw('', ['ACL', 'DELUSER', 'no-info']);
    }
  });

  it('checks every master of a cluster, and names the one that evicts', async () => {
    const cluster = await startRedisCluster();
    const client = createCluster({ rootNodes: cluster.nodes.map((node) => ({ url: `redis://${node}` })) });
    client.on('error', () => {});
    try {
      await client.connect();
      const store: SessionStore = new RedisSessionStore(client, { closeClient: false });
      await store.checkReady?.();
      const last = client.masters.at(-1)!;
      await (await client.nodeClient(last)).sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru']);
      await expect(store.checkReady?.()).rejects.toThrow(
        `but Redis at ${last.host}:${last.port} runs with maxmemory-policy volatile-lru`,
      );
    } finally {
      client.destroy();
      cluster.stop();
    }
  }, 60_000);

  describe('CachedSessionStore, whose user index is in the database', () => {
    let dataSource: DataSource;
    beforeEach(async () => (dataSource = await createTestDataSource(testDatabases()[0])));
    afterEach(() => dataSource.destroy());

    it('starts on allkeys-lru, and under eviction lists every session and serves each one’s latest save', async () => {
      const redis = await connect('allkeys-lru');
      const store = new CachedSessionStore(new TypeOrmSessionStore(dataSource), redis.redis, {
        prefix: redis.prefix,
        closeClient: false,
      });
      await expect(store.checkReady?.()).resolves.toBeUndefined();
      const keys = await createBound(store, 'v0');
      const all = [...keys.values()].flat();
      // Reads fill the cache; half the sessions are saved again after.
      await Promise.all(all.map((key) => store.load(key)));
      await sleep(50);
      const saved = all.filter((_, i) => i % 2 === 0);
      const owner = (key: string) => [...keys].find(([, own]) => own.includes(key))![0];
      await Promise.all(
        saved.map((key) => store.update(key, { data: 'v1', expiresAt: later(), info: boundInfo(owner(key)) }, 0)),
      );
      const cached = (await redis.keys()).length;
      const junk = 'j'.repeat(1_000);
      await pressUntilEvicted(redis, 1_000, (batch) =>
        Promise.all(Array.from({ length: 200 }, (_, i) => redis.raw('', ['SET', `junk:${batch}:${i}`, junk]))),
      );
      // Cached rows went with the junk.
      expect((await redis.keys()).length).toBeLessThan(cached);
      for (const [user, own] of keys) {
        expect((await store.listByUser!(user)).map((row) => row.key).sort()).toEqual([...own].sort());
      }
      for (const key of all) {
        const latest = saved.includes(key) ? { data: 'v1', version: 1 } : { data: 'v0', version: 0 };
        expect(await store.load(key)).toMatchObject(latest);
      }
      const [user, own] = [...keys][0];
      await Promise.all(own.map((key) => store.delete(key)));
      expect(await store.listByUser!(user)).toEqual([]);
      expect(await Promise.all(own.map((key) => store.load(key)))).toEqual(own.map(() => undefined));
    });
  });
});
