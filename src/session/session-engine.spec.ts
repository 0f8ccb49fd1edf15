import { Logger } from '@nestjs/common';
import { MemorySessionStore } from './memory-session.store.js';
import { SessionCodec } from './session-codec.js';
import { SessionEngine } from './session-engine.js';
import { resolveSessionOptions, type SessionModuleOptions } from './session-options.js';
import type { StoredSession } from './session-store.interface.js';
import { SessionInterruptedError, SessionStoreUnavailableError } from './session.errors.js';

const SECRET = 's'.repeat(32);
const COOKIE_AGE = 1_209_600;
const later = () => new Date(Date.now() + 3_600_000);

function setUp(extra: Partial<SessionModuleOptions> = {}, store = new MemorySessionStore()) {
  const options = resolveSessionOptions({ secret: SECRET, ...extra }, 'test');
  return { store, engine: new SessionEngine(options, store) };
}

/** Opens a new session, sets `data` and persists it; returns the engine, store and row key. */
async function withRow(data: Record<string, unknown> = { user: 42 }) {
  const { store, engine } = setUp();
  const session = await engine.open(null);
  session.update(data);
  const saved = await engine.persist(session, true);
  return { store, engine, key: saved!.key };
}

async function decodedRow(store: MemorySessionStore, key: string) {
  const row = await store.load(key);
  return row && new SessionCodec(SECRET).decode(key, row.data)?.data;
}

class FailingStore extends MemorySessionStore {
  override async load(): Promise<StoredSession | undefined> {
    throw new Error('connection refused');
  }
  override async update(): Promise<boolean> {
    throw new Error('connection refused');
  }
}

describe('SessionEngine', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  describe('open()', () => {
    it('gives an empty session for no key, without asking the store', async () => {
      const { engine } = setUp({}, new FailingStore());
      const session = await engine.open(null);
      expect([session.sessionKey, session.keys(), session.isEmpty()]).toEqual([null, [], true]);
    });

    it('reads a stored row', async () => {
      const { engine, key } = await withRow({ user: 42, tags: ['a'] });
      const session = await engine.open(key);
      expect([session.sessionKey, session.toJSON(), session.modified]).toEqual([key, { user: 42, tags: ['a'] }, false]);
    });

    it('gives a keyless session for an unknown key', async () => {
      const { engine } = setUp();
      const session = await engine.open('z'.repeat(32));
      expect([session.sessionKey, session.keys()]).toEqual([null, []]);
    });

    it('reads an altered row as empty, keeping its key', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const row = (await store.load(key))!;
      await store.update(key, { data: row.data.replace('42', '1'), expiresAt: later() }, row.version);
      const session = await engine.open(key);
      expect([session.sessionKey, session.keys(), session.isEmpty()]).toEqual([key, [], false]);
    });
  });

  describe('persist()', () => {
    it('creates a row for a new session with data', async () => {
      const { store, engine } = setUp();
      const session = await engine.open(null);
      session.set('user', 42);
      const saved = await engine.persist(session, true);
      expect(saved).toEqual({ key: session.sessionKey, maxAge: COOKIE_AGE });
      expect(saved!.key).toMatch(/^[a-z0-9]{32}$/);
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 42 });
      expect(session.modified).toBe(false);
    });

    it('gives no maxAge for a browser-close session', async () => {
      const { engine } = setUp();
      const session = await engine.open(null);
      session.setExpiry(0);
      expect(await engine.persist(session, true)).toEqual({ key: expect.any(String), maxAge: undefined });
    });

    it('writes nothing when it may not write', async () => {
      const { store, engine } = setUp();
      const session = await engine.open(null);
      session.set('user', 42);
      expect(await engine.persist(session, false)).toBeUndefined();
      expect(session.sessionKey).toBeNull();
      session.cycleKey();
      expect(await engine.persist(session, false)).toBeUndefined();
      expect(await store.exists(session.sessionKey!)).toBe(false);
    });

    it('writes nothing for an untouched loaded session', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const session = await engine.open(key);
      await store.delete(key);
      // An attempted update would have rejected, as the row is gone.
      expect(await engine.persist(session, true)).toBeUndefined();
      expect(await store.exists(key)).toBe(false);
    });

    it('saves an untouched session when saveEveryRequest is on', async () => {
      const { store, key } = await withRow({ user: 42 });
      const engine = setUp({ saveEveryRequest: true }, store).engine;
      const session = await engine.open(key);
      expect(await engine.persist(session, true)).toEqual({ key, maxAge: COOKIE_AGE });
    });

    it('updates the same row on a later save', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const session = await engine.open(key);
      session.set('user', 7);
      expect(await engine.persist(session, true)).toEqual({ key, maxAge: COOKIE_AGE });
      expect(await decodedRow(store, key)).toEqual({ user: 7 });
    });

    it('deletes the row of a flushed session', async () => {
      const { store, engine, key } = await withRow();
      const session = await engine.open(key);
      session.flush();
      expect(await engine.persist(session, true)).toBeUndefined();
      expect(await store.exists(key)).toBe(false);
    });

    it('writes a new row after flush() then set(), and deletes the old one', async () => {
      const { store, engine, key } = await withRow();
      const session = await engine.open(key);
      session.flush();
      session.set('user', 7);
      const saved = await engine.persist(session, true);
      expect(saved!.key).not.toBe(key);
      expect(await store.exists(key)).toBe(false);
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 7 });
    });

    it('moves the row to the new key after cycleKey()', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const session = await engine.open(key);
      session.cycleKey();
      const saved = await engine.persist(session, true);
      expect(saved!.key).toBe(session.sessionKey);
      expect(saved!.key).not.toBe(key);
      expect(await store.exists(key)).toBe(false);
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 42 });
    });

    it('draws another key when the new one is taken', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const session = await engine.open(key);
      session.cycleKey();
      const taken = session.sessionKey!;
      await store.create(taken, { data: 'someone else', expiresAt: later() });
      const saved = await engine.persist(session, true);
      expect(saved!.key).not.toBe(taken);
      expect((await store.load(taken))!.data).toBe('someone else');
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 42 });
    });

    it('refuses to bring back a row deleted meanwhile', async () => {
      const { store, engine, key } = await withRow();
      const session = await engine.open(key);
      await store.delete(key);
      session.set('user', 7);
      await expect(engine.persist(session, true)).rejects.toBeInstanceOf(SessionInterruptedError);
      expect(await store.exists(key)).toBe(false);
    });
  });

  describe('a failing store', () => {
    it('makes open() reject with a 503', async () => {
      const { engine } = setUp({}, new FailingStore());
      const error = await engine.open('a'.repeat(32)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as SessionStoreUnavailableError).getStatus()).toBe(503);
    });

    it('makes persist() reject with a 503', async () => {
      const { engine } = setUp({}, new FailingStore());
      const session = await engine.open(null);
      await engine.persist(session.set('user', 42), true);
      const error = await engine.persist(session.set('user', 7), true).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as SessionStoreUnavailableError).getStatus()).toBe(503);
    });
  });
});
