import { createClient } from 'redis';
import { generateSessionKey, RedisSessionStore } from '../src/session/index.js';
import {
  boundInfo,
  connectTestRedis,
  redisKinds,
  testRedisPrefix,
  testRedisUrl,
  type TestRedis,
} from './support/redis.js';
import { describeStoreOverHttp } from './support/store-over-http.js';
import { TcpProxy } from './support/tcp-proxy.js';

const later = () => new Date(Date.now() + 3_600_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (redisKinds().length === 0) console.warn('Skipping the Redis store tests: no Redis answered.');

describe.each(redisKinds())('the user index of RedisSessionStore on %s Redis', (kind) => {
  let redis: TestRedis;
  let store: RedisSessionStore;
  const index = (userId: string) => `${redis.prefix}user:${userId}`;
  const indexed = async (userId: string) =>
    ((await redis.raw(index(userId), ['ZRANGE', index(userId), '0', '-1'])) as string[]).sort();

  beforeEach(async () => {
    redis = await connectTestRedis(kind);
    store = new RedisSessionStore(redis.redis, { prefix: redis.prefix });
  });
  afterEach(() => redis.close());

  it('holds every bound session, and loses a session deleted', async () => {
    const [a, b] = [generateSessionKey(), generateSessionKey()];
    await store.create(a, { data: 'a', expiresAt: later(), info: boundInfo('ann') });
    await store.create(b, { data: 'b', expiresAt: later(), info: boundInfo('ann') });
    expect(await indexed('ann')).toEqual([a, b].sort());
    await store.delete(a);
    expect(await indexed('ann')).toEqual([b]);
  });

  it('drops, when listing, an entry whose session is now another user’s or was renewed away', async () => {
    const [a, b, renewed] = [generateSessionKey(), generateSessionKey(), generateSessionKey()];
    await store.create(a, { data: 'a', expiresAt: later(), info: boundInfo('ann') });
    await store.create(b, { data: 'b', expiresAt: later(), info: boundInfo('ann') });
    await store.update(a, { data: 'a2', expiresAt: later(), info: boundInfo('bob') }, 0);
    await store.renew(b, {
      newKey: renewed,
      record: { data: 'b2', expiresAt: later() },
      version: 0,
      graceUntil: later(),
      alias: `alias-of-${b}`,
    });
    expect((await store.listByUser('ann')).map((row) => row.key)).toEqual([renewed]);
    expect(await indexed('ann')).toEqual([renewed]);
    expect((await store.listByUser('bob')).map((row) => row.key)).toEqual([a]);
  });

  it('lets go of the entries of expired sessions on clearExpired(), and expires with its last session', async () => {
    const [soon, last] = [generateSessionKey(), generateSessionKey()];
    const lastExpiry = later();
    await store.create(soon, { data: 's', expiresAt: new Date(Date.now() + 50), info: boundInfo('ann') });
    await store.create(last, { data: 'l', expiresAt: lastExpiry, info: boundInfo('ann') });
    await sleep(100);
    expect(await indexed('ann')).toEqual([last, soon].sort());
    expect(await store.clearExpired()).toBe(0);
    expect(await indexed('ann')).toEqual([last]);
    const expiry = Number(await redis.raw(index('ann'), ['PEXPIRETIME', index('ann')]));
    expect(expiry).toBe(lastExpiry.getTime());
  });
});

(testRedisUrl() ? describe : describe.skip)('RedisSessionStore on the wire', () => {
  it('sends the operations started in one turn together, in one write', async () => {
    const target = new URL(testRedisUrl()!);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const client = createClient({ url: `redis://127.0.0.1:${await proxy.listen()}` });
    client.on('error', () => {});
    await client.connect();
    try {
      const store = new RedisSessionStore(client, { prefix: testRedisPrefix() });
      const keys = Array.from({ length: 100 }, () => generateSessionKey());
      const before = proxy.sentChunks;
      expect(await Promise.all(keys.map((key) => store.load(key)))).toEqual(keys.map(() => undefined));
      // One write of the hundred commands; a lone client write per command would be a hundred.
      expect(proxy.sentChunks - before).toBeLessThanOrEqual(2);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });
});

// A read is one HGETALL.
describeStoreOverHttp('cache', ['SELECT']);
