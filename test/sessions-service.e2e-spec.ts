import {
  generateSessionKey,
  SessionNotFoundError,
  SessionsService,
  TypeOrmSessionStore,
  type SessionStore,
} from '../src/session/index.js';
import { testBackends, testDatabases } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { createTestApp, sessionCookie, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;
const HOUR = 3_600_000;

describe.each(testBackends())('SessionsService on %s (sessions outside requests)', (db) => {
  let t: TestApp;
  let sessions: SessionsService;
  let store: SessionStore;
  beforeEach(async () => {
    t = await createTestApp(db, [ProbeController]);
    sessions = t.app.get(SessionsService);
    store = t.store;
  });
  afterEach(() => t.close());

  async function seed(expired: number, live: number): Promise<string[]> {
    const liveKeys: string[] = [];
    for (let i = 0; i < expired; i++) {
      await store.create(generateSessionKey(), { data: 'x', expiresAt: new Date(Date.now() - HOUR) });
    }
    for (let i = 0; i < live; i++) {
      const key = generateSessionKey();
      liveKeys.push(key);
      await store.create(key, { data: 'x', expiresAt: new Date(Date.now() + HOUR) });
    }
    return liveKeys;
  }

  it('finds a session saved by a request, with its decoded data, key and expiry', async () => {
    const key = sessionCookie(await t.http().get('/save')).value;
    const found = await sessions.get(key);
    expect(found).toEqual({
      sessionKey: key,
      data: { id: 1, name: 'root' },
      expireDate: expect.any(Date),
      verified: true,
    });
    expect(Math.abs(found.expireDate.getTime() - (Date.now() + 1_209_600_000))).toBeLessThan(60_000);
    expect(await sessions.exists(key)).toBe(true);
  });

  it('reports an unknown or expired key as not found, clearly', async () => {
    const unknown = generateSessionKey();
    expect(await sessions.find(unknown)).toBeUndefined();
    await expect(sessions.get(unknown)).rejects.toThrow(SessionNotFoundError);
    const expired = generateSessionKey();
    await store.create(expired, { data: 'x', expiresAt: new Date(Date.now() - 1000) });
    await expect(sessions.get(expired)).rejects.toThrow(/No live session under key/);
    expect(await sessions.exists(expired)).toBe(false);
  });

  it('shows a tampered row as unverified and empty', async () => {
    const key = sessionCookie(await t.http().get('/save')).value;
    await t.editRow(key, { data: 'forged:{"id":2}' });
    expect(await sessions.get(key)).toMatchObject({ data: {}, verified: false });
  });

  it('changes a stored session with the dictionary API; the next request sees the change', async () => {
    const key = sessionCookie(await t.http().get('/save')).value;
    const session = await sessions.open(key);
    session.set('role', 'admin');
    session.delete('name');
    expect(await sessions.save(session)).toBe(key);
    expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ id: 1, role: 'admin' });
  });

  it('creates a session that a browser can then use, and stores nothing for an empty one', async () => {
    const session = await sessions.open();
    session.set('greeting', 'hello');
    const key = await sessions.save(session);
    expect(key).toMatch(/^[a-z0-9]{32}$/);
    expect((await t.http().get('/read').set('Cookie', withKey(key!))).body).toEqual({ greeting: 'hello' });
    expect(await sessions.save(await sessions.open())).toBeNull();
    expect(await sessions.count()).toEqual({ live: 1, expired: 0 });
  });

  it('deletes a session: its cookie no longer reaches it', async () => {
    const key = sessionCookie(await t.http().get('/save')).value;
    await sessions.delete(key);
    expect(await sessions.exists(key)).toBe(false);
    expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({});
  });

  // Redis drops a session at its expiry itself: none is left to count as expired, or to clear.
  const keepsExpired = db !== 'cache';

  it('counts live and expired sessions', async () => {
    await seed(4, 3);
    expect(await sessions.count()).toEqual({ live: 3, expired: keepsExpired ? 4 : 0 });
  });

  (keepsExpired ? it.skip : it)('finds no expired session to clear, the live ones kept', async () => {
    const live = await seed(25, 5);
    expect((await sessions.clearExpired({ batchSize: 10 })).deleted).toBe(0);
    expect(await sessions.count()).toEqual({ live: 5, expired: 0 });
    for (const key of live) expect(await sessions.exists(key)).toBe(true);
  });

  (keepsExpired ? it : it.skip)('clears exactly the expired sessions, in batches, reporting progress', async () => {
    const live = await seed(25, 5);
    const progress: number[] = [];
    const result = await sessions.clearExpired({ batchSize: 10, onProgress: ({ deleted }) => progress.push(deleted) });
    // 25 rows in batches of 10: at least three statements, each reported as it ends.
    expect(result.deleted).toBe(25);
    expect(result.batches).toBeGreaterThanOrEqual(3);
    expect(progress).toHaveLength(result.batches);
    expect(progress.at(-1)).toBe(25);
    expect(progress.every((deleted, i) => i === 0 || deleted - progress[i - 1] <= 10)).toBe(true);
    expect(await sessions.count()).toEqual({ live: 5, expired: 0 });
    for (const key of live) expect(await sessions.exists(key)).toBe(true);
  });
});

describe('the clearExpiredEvery option', () => {
  it('clears expired sessions periodically in the server, and stops with it', async () => {
    const t = await createTestApp(testDatabases()[0], [ProbeController], { clearExpiredEvery: 0.05 });
    try {
      const store = new TypeOrmSessionStore(t.dataSource);
      await store.create(generateSessionKey(), { data: 'x', expiresAt: new Date(Date.now() - HOUR) });
      const live = generateSessionKey();
      await store.create(live, { data: 'x', expiresAt: new Date(Date.now() + HOUR) });
      const sessions = t.app.get(SessionsService);
      const deadline = Date.now() + 5_000;
      while ((await sessions.count()).expired > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await sessions.count()).toEqual({ live: 1, expired: 0 });
    } finally {
      await t.close();
    }
  });
});
