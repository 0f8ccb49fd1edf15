import { createHash } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { clearExpiredByLimit } from '../src/session/stores/clear-expired-by-limit.js';
import {
  CachedSessionStore,
  MemorySessionStore,
  SessionKeyTakenError,
  TypeOrmSessionStore,
  generateSessionKey,
  type SessionStore,
} from '../src/session/index.js';
import { createTestDataSource, testDatabases, testDataSourceOptions, type TestDatabase } from './support/databases.js';
import { connectTestRedis, createTestRedisStore, REDIS_LIBRARIES, redisKinds, testRedisUrl } from './support/redis.js';

interface StoreUnderTest {
  store: SessionStore;
  /** The raw `expire_date` text of a row, where the store is a database. */
  rawExpireDate?: (key: string) => Promise<string>;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
const later = () => new Date(Date.now() + HOUR);
const earlier = () => new Date(Date.now() - HOUR);
/** An alias as the app gives it for a renewed key: opaque to the store, 40 characters. */
const aliasOf = (key: string) => createHash('sha1').update(key).digest('hex');

interface Entry {
  name: string;
  /** Whether the store is a table of a database. */
  onDatabase: boolean;
  /** Whether the store keeps the info of rows, their users and renewed keys. */
  full: boolean;
  /** Whether the store removes rows at their expiry itself (Redis), rather than on `clearExpired()`. */
  expiresItself: boolean;
  open(): Promise<StoreUnderTest>;
}

/**
 * MariaDB configured for replication (one server as both primary and replica): the driver then
 * has a pool cluster rather than one pool, and the store runs its statements and transactions
 * through query runners.
 */
async function replicatedMariadb(): Promise<DataSource> {
  const { url, ...options } = (await testDataSourceOptions('mariadb')) as DataSourceOptions & { url: string };
  return new DataSource({
    ...options,
    replication: { master: { url }, slaves: [{ url }] },
  } as DataSourceOptions).initialize();
}

const databases: { db: TestDatabase; name: string; connect(): Promise<DataSource> }[] = testDatabases().map((db) => ({
  db,
  name: db,
  connect: () => createTestDataSource(db),
}));
if (testDatabases().includes('mariadb'))
  databases.push({ db: 'mariadb', name: 'mariadb (replication)', connect: replicatedMariadb });

const stores: Entry[] = [
  {
    name: 'MemorySessionStore',
    onDatabase: false,
    full: false,
    expiresItself: false,
    open: async () => ({ store: new MemorySessionStore(), close: async () => {} }),
  },
  ...databases.map(({ db, name, connect }): Entry => ({
    name: `TypeOrmSessionStore on ${name}`,
    onDatabase: true,
    full: true,
    expiresItself: false,
    open: async () => {
      const dataSource: DataSource = await connect();
      return {
        store: new TypeOrmSessionStore(dataSource),
        rawExpireDate: async (key) => {
          const [row] = await dataSource.query(
            db === 'sqlite'
              ? 'SELECT expire_date AS e FROM session WHERE session_key = ?'
              : db === 'postgres'
                ? "SELECT to_char(expire_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS e FROM session WHERE session_key = $1"
                : 'SELECT DATE_FORMAT(expire_date, "%Y-%m-%d %H:%i:%s.%f") AS e FROM session WHERE session_key = ?',
            [key],
          );
          return String(row.e);
        },
        close: () => dataSource.destroy(),
      };
    },
  })),
  ...(testRedisUrl() ? databases : []).flatMap(({ name, connect }) =>
    REDIS_LIBRARIES.map((library): Entry => ({
      name: `CachedSessionStore: TypeOrmSessionStore on ${name} behind a single Redis through ${library}`,
      onDatabase: false,
      full: true,
      expiresItself: false,
      open: async () => {
        const dataSource = await connect();
        const redis = await connectTestRedis('single', testRedisUrl(), library);
        const store = new CachedSessionStore(new TypeOrmSessionStore(dataSource), redis.redis, {
          prefix: redis.prefix,
        });
        return {
          store,
          close: async () => {
            await store.close();
            await redis.close();
            await dataSource.destroy();
          },
        };
      },
    })),
  ),
  ...redisKinds().flatMap((kind) =>
    REDIS_LIBRARIES.map((library): Entry => ({
      name: `RedisSessionStore on ${kind === 'single' ? 'a single Redis' : 'a Redis Cluster'} through ${library}`,
      onDatabase: false,
      full: true,
      expiresItself: true,
      open: async () => {
        const { store, redis } = await createTestRedisStore(kind, library);
        return { store, close: () => redis.close() };
      },
    })),
  ),
];

describe.each(stores)('$name', ({ open, onDatabase, full, expiresItself }) => {
  let subject: StoreUnderTest;
  let store: SessionStore;

  beforeEach(async () => {
    subject = await open();
    store = subject.store;
  });
  afterEach(() => subject.close());

  it('loads nothing for a key it never stored', async () => {
    expect(await store.load(generateSessionKey())).toBeUndefined();
    expect(await store.exists(generateSessionKey())).toBe(false);
  });

  it('creates a row that load() and exists() then find', async () => {
    const key = generateSessionKey();
    await store.create(key, { data: 'signed:{"a":1}', expiresAt: later() });
    expect((await store.load(key))?.data).toBe('signed:{"a":1}');
    expect(await store.exists(key)).toBe(true);
  });

  it('returns the expiry it stored, to the millisecond', async () => {
    const key = generateSessionKey();
    const expiresAt = new Date(Date.UTC(2031, 0, 2, 3, 4, 5, 678));
    await store.create(key, { data: 'v', expiresAt });
    expect((await store.load(key))?.expiresAt).toEqual(expiresAt);
  });

  it('refuses to create over an existing key and keeps the existing row', async () => {
    const key = generateSessionKey();
    await store.create(key, { data: 'first', expiresAt: later() });
    await expect(store.create(key, { data: 'second', expiresAt: later() })).rejects.toBeInstanceOf(
      SessionKeyTakenError,
    );
    expect((await store.load(key))?.data).toBe('first');
  });

  if (expiresItself) {
    it('forgets a row at its expiry: its key is free again, and an update finds nothing', async () => {
      const key = generateSessionKey();
      await store.create(key, { data: 'old', expiresAt: earlier() });
      expect(await store.update(key, { data: 'v2', expiresAt: later() }, 0)).toBe(false);
      await store.create(key, { data: 'new', expiresAt: later() });
      expect(await store.load(key)).toMatchObject({ data: 'new', version: 0 });
    });
  } else {
    it('refuses to create over an expired row too', async () => {
      const key = generateSessionKey();
      await store.create(key, { data: 'old', expiresAt: earlier() });
      await expect(store.create(key, { data: 'new', expiresAt: later() })).rejects.toBeInstanceOf(SessionKeyTakenError);
    });

    it('revives an expired row when it is updated with a new expiry', async () => {
      const key = generateSessionKey();
      await store.create(key, { data: 'v1', expiresAt: earlier() });
      expect(await store.update(key, { data: 'v2', expiresAt: later() }, 0)).toBe(true);
      expect((await store.load(key))?.data).toBe('v2');
    });
  }

  it('updates a row at the version it expects, raising the version, even with unchanged values', async () => {
    const key = generateSessionKey();
    const expiresAt = later();
    await store.create(key, { data: 'v1', expiresAt });
    expect((await store.load(key))?.version).toBe(0);
    expect(await store.update(key, { data: 'v2', expiresAt }, 0)).toBe(true);
    expect(await store.update(key, { data: 'v2', expiresAt }, 1)).toBe(true);
    expect(await store.load(key)).toMatchObject({ data: 'v2', version: 2 });
  });

  it('refuses an update that expects an older version, writing nothing', async () => {
    const key = generateSessionKey();
    await store.create(key, { data: 'v1', expiresAt: later() });
    expect(await store.update(key, { data: 'first', expiresAt: later() }, 0)).toBe(true);
    expect(await store.update(key, { data: 'stale', expiresAt: later() }, 0)).toBe(false);
    expect(await store.load(key)).toMatchObject({ data: 'first', version: 1 });
  });

  it('does not update, nor create, a row that is not there', async () => {
    const key = generateSessionKey();
    expect(await store.update(key, { data: 'v', expiresAt: later() }, 0)).toBe(false);
    expect(await store.load(key)).toBeUndefined();
  });

  it('deletes a row, and deleting a missing row is harmless', async () => {
    const key = generateSessionKey();
    await store.create(key, { data: 'v', expiresAt: later() });
    await store.delete(key);
    await store.delete(key);
    expect(await store.load(key)).toBeUndefined();
    expect(await store.exists(key)).toBe(false);
  });

  it('treats an expired row as absent', async () => {
    const key = generateSessionKey();
    await store.create(key, { data: 'v', expiresAt: earlier() });
    expect(await store.load(key)).toBeUndefined();
    expect(await store.exists(key)).toBe(false);
  });

  // Rows a store still holds past their expiry, until a cleanup; none where the store expires them.
  const kept = (expired: number) => (expiresItself ? 0 : expired);

  it('clears exactly the expired rows', async () => {
    const live = [generateSessionKey(), generateSessionKey()];
    const expired = [generateSessionKey(), generateSessionKey(), generateSessionKey()];
    for (const key of live) await store.create(key, { data: 'live', expiresAt: later() });
    for (const key of expired) await store.create(key, { data: 'old', expiresAt: earlier() });
    expect(await store.clearExpired()).toBe(kept(3));
    for (const key of live) expect((await store.load(key))?.data).toBe('live');
    expect(await store.clearExpired()).toBe(0);
  });

  it('clears expired rows in batches of at most the limit, and counts rows by state', async () => {
    for (let i = 0; i < 7; i++) await store.create(generateSessionKey(), { data: 'old', expiresAt: earlier() });
    const live = generateSessionKey();
    await store.create(live, { data: 'live', expiresAt: later() });
    expect(await store.count()).toEqual({ live: 1, expired: kept(7) });
    const now = new Date();
    if (!expiresItself) {
      expect(await store.clearExpired(now, 3)).toBe(3);
      expect(await store.clearExpired(now, 3)).toBe(3);
      expect(await store.clearExpired(now, 3)).toBe(1);
    }
    expect(await store.clearExpired(now, 3)).toBe(0);
    expect(await store.count()).toEqual({ live: 1, expired: 0 });
    expect((await store.load(live))?.data).toBe('live');
  });

  it.each([
    ['most rows', 9, 2],
    ['few rows', 2, 12],
  ])('clears exactly the expired rows in batches when %s have expired', async (_share, expired, live) => {
    const liveKeys: string[] = [];
    for (let i = 0; i < expired; i++) await store.create(generateSessionKey(), { data: 'old', expiresAt: earlier() });
    for (let i = 0; i < live; i++) {
      liveKeys.push(generateSessionKey());
      await store.create(liveKeys[i], { data: 'live', expiresAt: later() });
    }
    const removed: number[] = [];
    // A store without its own batched walk is cleared the way SessionsService then clears it.
    const batches = store.clearExpiredInBatches?.(new Date(), 4) ?? clearExpiredByLimit(store, new Date(), 4);
    for await (const n of batches) removed.push(n);
    expect(removed.reduce((a, b) => a + b, 0)).toBe(kept(expired));
    expect(removed.every((n) => n <= 4)).toBe(true);
    expect(await store.count()).toEqual({ live, expired: 0 });
    for (const key of liveKeys) expect((await store.load(key))?.data).toBe('live');
  });

  it('tells keys apart byte for byte, upper case included', async () => {
    const lower = 'a'.repeat(32);
    const upper = 'A'.repeat(32);
    await store.create(lower, { data: 'lower', expiresAt: later() });
    expect(await store.load(upper)).toBeUndefined();
    await store.create(upper, { data: 'upper', expiresAt: later() });
    expect((await store.load(lower))?.data).toBe('lower');
    expect((await store.load(upper))?.data).toBe('upper');
  });

  it('keeps large and non-ASCII data intact', async () => {
    const key = generateSessionKey();
    const data = `sig:${JSON.stringify({ text: 'żółć 🍪 "quoted" \\ back', blob: 'x'.repeat(200_000) })}`;
    await store.create(key, { data, expiresAt: later() });
    expect((await store.load(key))?.data).toBe(data);
  });

  it('answers loads made together each with its own row, past the size of one batch', async () => {
    const keys = Array.from({ length: 150 }, () => generateSessionKey());
    for (const [i, key] of keys.entries()) {
      await store.create(key, { data: `row ${i}`, expiresAt: i % 3 === 0 ? earlier() : later() });
    }
    const asked = [...keys, generateSessionKey(), keys[1]];
    const rows = await Promise.all(asked.map((key) => store.load(key)));
    expect(rows.map((row) => row?.data)).toEqual([
      ...keys.map((_, i) => (i % 3 === 0 ? undefined : `row ${i}`)),
      undefined,
      'row 1',
    ]);
  });

  it('creates rows made together, refusing only a taken key and keeping its row', async () => {
    const taken = generateSessionKey();
    await store.create(taken, { data: 'first', expiresAt: later() });
    const fresh = Array.from({ length: 120 }, () => generateSessionKey());
    const asked = [...fresh.slice(0, 60), taken, ...fresh.slice(60)];
    const outcomes = await Promise.allSettled(
      asked.map((key) => store.create(key, { data: `new ${key}`, expiresAt: later() })),
    );
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason)).toEqual([new SessionKeyTakenError()]);
    expect(outcomes[60].status).toBe('rejected');
    expect((await store.load(taken))?.data).toBe('first');
    for (const key of fresh) expect((await store.load(key))?.data).toBe(`new ${key}`);
  });

  it('creates large rows made together, each intact', async () => {
    const keys = Array.from({ length: 12 }, () => generateSessionKey());
    const data = (key: string) => `sig:${key}${'é'.repeat(60_000)}`;
    await Promise.all(keys.map((key) => store.create(key, { data: data(key), expiresAt: later() })));
    for (const key of keys) expect((await store.load(key))?.data).toBe(data(key));
  });

  it('updates rows made together, past the size of one batch, each with its own data and expiry', async () => {
    const keys = Array.from({ length: 130 }, () => generateSessionKey());
    for (const key of keys) await store.create(key, { data: 'old', expiresAt: later() });
    const expiry = (i: number) => new Date(Date.UTC(2031, 0, 1, 0, 0, 0, i));
    const saved = await Promise.all(
      keys.map((key, i) => store.update(key, { data: `new ${i} ${key}`, expiresAt: expiry(i) }, 0)),
    );
    expect(saved.every(Boolean)).toBe(true);
    for (const [i, key] of keys.entries()) {
      expect(await store.load(key)).toEqual({ data: `new ${i} ${key}`, expiresAt: expiry(i), version: 1 });
    }
  });

  it('keeps, of updates made together, exactly those whose version held', async () => {
    const keys = Array.from({ length: 8 }, () => generateSessionKey());
    for (const key of keys) await store.create(key, { data: 'v0', expiresAt: later() });
    // Two rows have moved on since their savers read them; one is gone.
    await store.update(keys[2], { data: 'moved on', expiresAt: later() }, 0);
    await store.update(keys[5], { data: 'moved on', expiresAt: later() }, 0);
    await store.delete(keys[7]);
    const saved = await Promise.all(
      keys.map((key) => store.update(key, { data: `saved ${key}`, expiresAt: later() }, 0)),
    );
    expect(saved).toEqual([true, true, false, true, true, false, true, false]);
    const rows = await Promise.all(keys.map((key) => store.load(key)));
    expect(rows.map((row) => row && [row.data, row.version])).toEqual(
      keys.map((key, i) => (i === 7 ? undefined : i === 2 || i === 5 ? ['moved on', 1] : [`saved ${key}`, 1])),
    );
  });

  it('lets only one of two updates of a row made together from one version win', async () => {
    const keys = Array.from({ length: 5 }, () => generateSessionKey());
    for (const key of keys) await store.create(key, { data: 'v0', expiresAt: later() });
    const asked = [...keys, keys[0]];
    const saved = await Promise.all(
      asked.map((key, i) => store.update(key, { data: `writer ${i}`, expiresAt: later() }, 0)),
    );
    // Which of the two wins depends on which reaches the row first; exactly one does.
    expect(saved.slice(1, 5)).toEqual([true, true, true, true]);
    expect([saved[0], saved[5]].sort()).toEqual([false, true]);
    expect(await store.load(keys[0])).toMatchObject({ data: saved[0] ? 'writer 0' : 'writer 5', version: 1 });
  });

  if (!full) return;
  const info = (userId: string | null, at: number, ip = '203.0.113.7') => ({
    userId,
    createdAt: new Date(Date.UTC(2030, 5, 1, 12, 0, 0, at)),
    lastSeenAt: new Date(Date.UTC(2030, 5, 2, 12, 0, 0, at)),
    ip,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
  });

  it('keeps the info of a row beside it, and updates it with the row', async () => {
    const key = generateSessionKey();
    await store.create(key, { data: 'v', expiresAt: later(), info: info('ann', 1) });
    expect((await store.load(key))?.info).toEqual(info('ann', 1));
    expect(await store.update(key, { data: 'w', expiresAt: later(), info: info(null, 2, '::1') }, 0)).toBe(true);
    expect((await store.load(key))?.info).toEqual(info(null, 2, '::1'));
  });

  it('lists the live rows of a user, and only those', async () => {
    const [a, b, other, expired, unbound] = Array.from({ length: 5 }, () => generateSessionKey());
    await store.create(a, { data: 'a', expiresAt: later(), info: info('ann', 1) });
    await store.create(b, { data: 'b', expiresAt: later(), info: info('ann', 2) });
    await store.create(other, { data: 'o', expiresAt: later(), info: info('bob', 3) });
    await store.create(expired, { data: 'e', expiresAt: earlier(), info: info('ann', 4) });
    await store.create(unbound, { data: 'u', expiresAt: later() });
    const rows = await store.listByUser!('ann');
    expect(rows.map((row) => [row.key, row.data, row.info]).sort()).toEqual(
      [
        [a, 'a', info('ann', 1)],
        [b, 'b', info('ann', 2)],
      ].sort(),
    );
    expect(await store.listByUser!('nobody')).toEqual([]);
  });

  it('renews a key at its version: the new key loads the row, the alias of the old one during the grace only', async () => {
    const [key, fresh, late] = [generateSessionKey(), generateSessionKey(), generateSessionKey()];
    await store.create(key, { data: 'old-signed', expiresAt: later(), info: info('ann', 1) });
    expect(
      await store.renew!(key, {
        newKey: fresh,
        record: { data: 'new-signed', expiresAt: later() },
        version: 5,
        graceUntil: later(),
        alias: aliasOf(key),
      }),
    ).toBe(false);
    const grace = new Date(Date.now() + 60_000);
    // The data is signed for the expiry given with it, which the renewed row takes.
    const expiresAt = new Date(Date.UTC(2031, 0, 3, 4, 5, 6, 789));
    expect(
      await store.renew!(key, {
        newKey: fresh,
        record: { data: 'new-signed', expiresAt },
        version: 0,
        graceUntil: grace,
        alias: aliasOf(key),
      }),
    ).toBe(true);
    const renewed = await store.load(fresh, aliasOf(fresh));
    expect(renewed).toMatchObject({ data: 'new-signed', version: 1, info: info('ann', 1), expiresAt });
    expect(renewed?.keyIssuedAt?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(renewed?.key).toBeUndefined();
    expect(await store.load(key, aliasOf(key))).toMatchObject({ key: fresh, data: 'new-signed', version: 1 });
    // Only the alias reaches the row: not the old key itself, nor the key with another alias.
    expect(await store.load(key)).toBeUndefined();
    expect(await store.load(key, aliasOf(late))).toBeUndefined();
    expect(await store.load(aliasOf(key))).toBeUndefined();
    // The old key's writes no longer reach the row.
    expect(await store.update(key, { data: 'x', expiresAt: later() }, 1)).toBe(false);
    expect(await store.update(fresh, { data: 'saved', expiresAt: later() }, 1)).toBe(true);
    // A grace that has ended: the old key is dead.
    await store.create(late, { data: 'l', expiresAt: later() });
    const other = generateSessionKey();
    expect(
      await store.renew!(late, {
        newKey: other,
        record: { data: 'l2', expiresAt: later() },
        version: 0,
        graceUntil: earlier(),
        alias: aliasOf(late),
      }),
    ).toBe(true);
    expect(await store.load(late, aliasOf(late))).toBeUndefined();
    expect((await store.load(other))?.data).toBe('l2');
  });

  it('loads, made together, rows by their keys and by keys in their grace', async () => {
    const keys = Array.from({ length: 4 }, () => generateSessionKey());
    const renewed = generateSessionKey();
    await Promise.all(keys.map((key, i) => store.create(key, { data: `d${i}`, expiresAt: later() })));
    const grace = new Date(Date.now() + 60_000);
    await store.renew!(keys[0], {
      newKey: renewed,
      record: { data: 'r', expiresAt: later() },
      version: 0,
      graceUntil: grace,
      alias: aliasOf(keys[0]),
    });
    const loaded = await Promise.all([...keys, renewed].map((key) => store.load(key, aliasOf(key))));
    expect(loaded.map((row) => row?.data)).toEqual(['r', 'd1', 'd2', 'd3', 'r']);
    expect(loaded[0]?.key).toBe(renewed);
  });

  it('writes the info of rows created and updated together, each its own', async () => {
    const keys = Array.from({ length: 6 }, () => generateSessionKey());
    await Promise.all(
      keys.map((key, i) => store.create(key, { data: `d${i}`, expiresAt: later(), info: info(`u${i}`, i) })),
    );
    const updated = await Promise.all(
      keys.map((key, i) => store.update(key, { data: `e${i}`, expiresAt: later(), info: info(`v${i}`, 10 + i) }, 0)),
    );
    expect(updated).toEqual(keys.map(() => true));
    for (const [i, key] of keys.entries()) {
      const row = await store.load(key);
      expect([i, row?.data, row?.info]).toEqual([i, `e${i}`, info(`v${i}`, 10 + i)]);
    }
  });

  if (!onDatabase) return;
  it('stores the expiry in UTC, to the millisecond', async () => {
    const key = generateSessionKey();
    const expiresAt = new Date(Date.UTC(2031, 0, 2, 3, 4, 5, 678));
    await store.create(key, { data: 'v', expiresAt });
    expect(await subject.rawExpireDate!(key)).toMatch(/^2031-01-02 03:04:05\.678/);
  });
});
