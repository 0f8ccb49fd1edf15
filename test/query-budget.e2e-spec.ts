import type { DataSource } from 'typeorm';
import { generateSessionKey, TypeOrmSessionStore } from '../src/session/index.js';
import { createTestDataSource, QueryCounter, testBackends, testDatabases } from './support/databases.js';
import { createBlogApp } from './support/blog-app.js';
import { sessionCookie, type TestApp } from './support/test-app.js';

/**
 * The statements each kind of request may send: the per-request path holds no cleanup, no
 * existence check before an insert, and no transaction around a single statement. On Redis the
 * budget is in commands, named by the statement each stands in for (see `countingRedis()`):
 * `cache` holds the table's; `cached_db` reads from Redis alone and writes the table, then Redis.
 */
const budgets = {
  read: { default: ['SELECT'] },
  create: { default: ['INSERT'], cached_db: ['INSERT', 'INSERT'] },
  write: { default: ['SELECT', 'UPDATE'], cached_db: ['SELECT', 'UPDATE', 'CACHE_UPDATE'] },
};
const budget = (backend: string, kind: keyof typeof budgets): string[] =>
  (budgets[kind] as Record<string, string[]>)[backend] ?? budgets[kind].default;

describe.each(testBackends())('query budget on %s', (db) => {
  let t: TestApp;
  let cookie: string;
  beforeEach(async () => {
    t = await createBlogApp(db);
    cookie = `sessionid=${sessionCookie(await t.http().get('/bench/put?k=a&v=1')).value}`;
    t.queries.reset();
  });
  afterEach(() => t.close());

  const statements = () => t.queries.statements.map((sql) => sql.split(' ')[0].toUpperCase());

  it('a request that does not touch the session: 0 statements, even with a session cookie', async () => {
    await t.http().get('/').set('Cookie', cookie).expect(200);
    expect(statements()).toEqual([]);
  });

  it('a read of an existing session: 1 statement (a command on Redis)', async () => {
    await t.http().get('/bench/get').set('Cookie', cookie).expect(200, { a: '1' });
    expect(statements()).toEqual(budget(db, 'read'));
  });

  it('a request that creates a session: 1 statement, and on cached_db the row written through', async () => {
    await t.http().get('/bench/put?k=b&v=2').expect(200);
    expect(statements()).toEqual(budget(db, 'create'));
  });

  it('a write to an existing session: a read and an update, and on cached_db the cached row moved along', async () => {
    await t.http().get('/bench/put?k=b&v=2').set('Cookie', cookie).expect(200);
    expect(statements()).toEqual(budget(db, 'write'));
  });

  it('a request without a session cookie that reads, or is turned away: 0 statements', async () => {
    await t.http().get('/bench/get').expect(200, {});
    await t.http().get('/lousy-logout/').expect(302);
    expect(statements()).toEqual([]);
  });
});

/**
 * Requests that reach the store in the same turn of the event loop share their statements on a
 * database across the network; on SQLite, in process, each goes alone.
 */
describe.each(testDatabases())('statements shared by concurrent requests on %s', (db) => {
  const batched = db !== 'sqlite';
  const later = () => new Date(Date.now() + 3_600_000);
  let dataSource: DataSource;
  let queries: QueryCounter;
  let store: TypeOrmSessionStore;
  beforeEach(async () => {
    queries = new QueryCounter();
    dataSource = await createTestDataSource(db, queries);
    store = new TypeOrmSessionStore(dataSource);
    queries.reset();
  });
  afterEach(() => dataSource.destroy());

  const verbs = () => queries.statements.map((sql) => sql.split(' ')[0].toUpperCase());

  it('loads that start together: one SELECT for all of them', async () => {
    const keys = [generateSessionKey(), generateSessionKey(), generateSessionKey()];
    for (const key of keys) await store.create(key, { data: key, expiresAt: later() });
    queries.reset();
    const rows = await Promise.all(keys.map((key) => store.load(key)));
    expect(rows.map((row) => row?.data)).toEqual(keys);
    expect(verbs()).toEqual(batched ? ['SELECT'] : ['SELECT', 'SELECT', 'SELECT']);
  });

  it('creates that start together: one INSERT; after a taken key, one INSERT each', async () => {
    const keys = [generateSessionKey(), generateSessionKey(), generateSessionKey()];
    await Promise.all(keys.map((key) => store.create(key, { data: key, expiresAt: later() })));
    expect(verbs()).toEqual(batched ? ['INSERT'] : ['INSERT', 'INSERT', 'INSERT']);

    queries.reset();
    const more = [generateSessionKey(), keys[0], generateSessionKey()];
    const outcomes = await Promise.allSettled(
      more.map((key) => store.create(key, { data: 'again', expiresAt: later() })),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(verbs()).toEqual(batched ? ['INSERT', 'INSERT', 'INSERT', 'INSERT'] : ['INSERT', 'INSERT', 'INSERT']);
  });

  it('updates that start together: one UPDATE (on MariaDB in a transaction, gone again row by row after a stale version)', async () => {
    const keys = [generateSessionKey(), generateSessionKey(), generateSessionKey(), generateSessionKey()];
    for (const key of keys) await store.create(key, { data: 'v0', expiresAt: later() });
    queries.reset();
    const save = (version: number) =>
      Promise.all(keys.map((key) => store.update(key, { data: `v${version + 1}`, expiresAt: later() }, version)));
    const grouped = { sqlite: ['UPDATE', 'UPDATE', 'UPDATE', 'UPDATE'], mariadb: ['START', 'UPDATE', 'COMMIT'] };
    expect(await save(0)).toEqual([true, true, true, true]);
    expect(verbs()).toEqual(db === 'postgres' ? ['UPDATE'] : grouped[db]);

    await store.update(keys[1], { data: 'elsewhere', expiresAt: later() }, 1);
    queries.reset();
    expect(await save(1)).toEqual([true, false, true, true]);
    // PostgreSQL names the rows its UPDATE saved: no second try.
    const alone = ['UPDATE', 'UPDATE', 'UPDATE', 'UPDATE'];
    const stale = { sqlite: alone, mariadb: ['START', 'UPDATE', 'ROLLBACK', ...alone], postgres: ['UPDATE'] };
    expect(verbs()).toEqual(stale[db]);
  });

  it('updates too few to share a transaction: one UPDATE each on MariaDB; on PostgreSQL two already share one', async () => {
    const keys = [generateSessionKey(), generateSessionKey(), generateSessionKey()];
    for (const key of keys) await store.create(key, { data: 'v0', expiresAt: later() });
    queries.reset();
    await Promise.all(keys.map((key) => store.update(key, { data: 'v1', expiresAt: later() }, 0)));
    expect(verbs()).toEqual(db === 'postgres' ? ['UPDATE'] : ['UPDATE', 'UPDATE', 'UPDATE']);
    queries.reset();
    await store.update(keys[0], { data: 'v2', expiresAt: later() }, 1);
    expect(verbs()).toEqual(['UPDATE']);
  });

  it('sends loads one by one when batching is off', async () => {
    const unbatched = new TypeOrmSessionStore(dataSource, { batching: false });
    await Promise.all([unbatched.load(generateSessionKey()), unbatched.load(generateSessionKey())]);
    expect(verbs()).toEqual(['SELECT', 'SELECT']);
  });
});
