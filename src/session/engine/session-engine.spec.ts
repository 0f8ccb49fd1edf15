import { Logger } from '@nestjs/common';
import { MemorySessionStore } from '../stores/memory-session.store.js';
import { SessionCodec } from '../rows/session-codec.js';
import type { RequestSession } from '../dictionary/request-session.js';
import { SessionEngine } from './session-engine.js';
import type { SavedSession } from './session-saves.js';
import { sessionParts } from '../../../test/support/session-parts.js';
import type { SessionModuleOptions } from '../options/session-options.js';
import { MAX_SESSION_VERSION, type StoredSession } from '../stores/session-store.interface.js';
import { SessionConflictError, SessionInterruptedError, SessionStoreUnavailableError } from '../session.errors.js';

const SECRET = 's'.repeat(32);
const COOKIE_AGE = 1_209_600;
const later = () => new Date(Date.now() + 3_600_000);

/** The engine on `store`, wired as the module wires it. */
async function setUp(extra: Partial<SessionModuleOptions> = {}, store = new MemorySessionStore()) {
  const { engine } = await sessionParts({ secret: SECRET, ...extra, store });
  saveEveryRequest.set(engine, extra.saveEveryRequest ?? false);
  return { store, engine };
}

const saveEveryRequest = new WeakMap<SessionEngine, boolean>();

/**
 * What the end of a request does with `session`, by the response policy: a flushed session's
 * row deleted, and when `mayWrite` (a status below 500) and the session must be saved, a save.
 */
async function persist(
  engine: SessionEngine,
  session: RequestSession,
  mayWrite: boolean,
): Promise<SavedSession | undefined> {
  const request = {
    cookieSent: false,
    cookieWellFormed: false,
    saveEveryRequest: saveEveryRequest.get(engine) ?? false,
  };
  const change = await engine.commit(session, { request, status: mayWrite ? 200 : 500 });
  // No cookie was sent: there is none to delete.
  expect(change).not.toBe('delete');
  return change === 'delete' ? undefined : change;
}

/** Opens a new session, sets `data` and persists it; returns the engine, store and row key. */
async function withRow(data: Record<string, unknown> = { user: 42 }) {
  const { store, engine } = await setUp();
  const session = await engine.open(null);
  session.update(data);
  const saved = await persist(engine, session, true);
  return { store, engine, key: saved!.key };
}

async function decodedRow(store: MemorySessionStore, key: string) {
  const row = await store.load(key);
  return row && new SessionCodec(SECRET).decode(key, row.data, row.expiresAt)?.data;
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
      const { engine } = await setUp({}, new FailingStore());
      const session = await engine.open(null);
      expect([session.sessionKey, session.keys(), session.isEmpty()]).toEqual([null, [], true]);
    });

    it('reads a stored row', async () => {
      const { engine, key } = await withRow({ user: 42, tags: ['a'] });
      const session = await engine.open(key);
      expect([session.sessionKey, session.toJSON(), session.modified]).toEqual([key, { user: 42, tags: ['a'] }, false]);
    });

    it('gives a keyless session for an unknown key', async () => {
      const { engine } = await setUp();
      const session = await engine.open('z'.repeat(32));
      expect([session.sessionKey, session.keys()]).toEqual([null, []]);
    });

    it('does not adopt an altered row: a keyless session, and the row removed', async () => {
      const { store, engine, key } = await withRow();
      const row = (await store.load(key))!;
      await store.update(key, { data: row.data.replace('42', '1'), expiresAt: row.expiresAt }, row.version);
      const session = await engine.open(key);
      expect([session.sessionKey, session.keys(), session.isEmpty()]).toEqual([null, [], true]);
      expect(await store.load(key)).toBeUndefined();
    });

    it('logs one warning for a row that fails verification, and nothing worse', async () => {
      const { store, engine, key } = await withRow();
      const row = (await store.load(key))!;
      await store.update(
        key,
        { data: row.data.slice(0, 8) + 'é' + row.data.slice(9), expiresAt: row.expiresAt },
        row.version,
      );
      const seen: string[] = [];
      const record = (level: string) => (message: unknown) => void seen.push(`${level}: ${String(message)}`);
      Logger.overrideLogger({
        log: record('log'),
        error: record('error'),
        warn: record('warn'),
        debug: record('debug'),
        verbose: record('verbose'),
      });
      try {
        await engine.open(key);
      } finally {
        Logger.overrideLogger(false);
      }
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/^warn: Session .*failed verification/);
    });

    it('does not adopt a row whose expiry was moved', async () => {
      const { store, engine, key } = await withRow();
      const row = (await store.load(key))!;
      await store.update(key, { data: row.data, expiresAt: new Date(row.expiresAt.getTime() + 1_000) }, row.version);
      expect((await engine.open(key)).sessionKey).toBeNull();
    });
  });

  describe('persist()', () => {
    it('creates a row for a new session with data', async () => {
      const { store, engine } = await setUp();
      const session = await engine.open(null);
      session.set('user', 42);
      const saved = await persist(engine, session, true);
      expect(saved).toEqual({ key: session.sessionKey, maxAge: COOKIE_AGE });
      expect(saved!.key).toMatch(/^[a-z0-9]{32}$/);
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 42 });
      expect(session.modified).toBe(false);
    });

    it('gives no maxAge for a browser-close session', async () => {
      const { engine } = await setUp();
      const session = await engine.open(null);
      session.setExpiry(0);
      expect(await persist(engine, session, true)).toEqual({ key: expect.any(String), maxAge: undefined });
    });

    it('writes nothing when it may not write', async () => {
      const { store, engine } = await setUp();
      const session = await engine.open(null);
      session.set('user', 42);
      expect(await persist(engine, session, false)).toBeUndefined();
      expect(session.sessionKey).toBeNull();
      session.cycleKey();
      expect(await persist(engine, session, false)).toBeUndefined();
      expect(await store.exists(session.sessionKey!)).toBe(false);
    });

    it('writes nothing for an untouched loaded session', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const session = await engine.open(key);
      await store.delete(key);
      // An attempted update would have rejected, as the row is gone.
      expect(await persist(engine, session, true)).toBeUndefined();
      expect(await store.exists(key)).toBe(false);
    });

    it('saves an untouched session when saveEveryRequest is on', async () => {
      const { store, key } = await withRow({ user: 42 });
      const engine = (await setUp({ saveEveryRequest: true }, store)).engine;
      const session = await engine.open(key);
      expect(await persist(engine, session, true)).toEqual({ key, maxAge: COOKIE_AGE });
    });

    it('updates the same row on a later save', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const session = await engine.open(key);
      session.set('user', 7);
      expect(await persist(engine, session, true)).toEqual({ key, maxAge: COOKIE_AGE });
      expect(await decodedRow(store, key)).toEqual({ user: 7 });
    });

    it('deletes the row of a flushed session', async () => {
      const { store, engine, key } = await withRow();
      const session = await engine.open(key);
      session.flush();
      expect(await persist(engine, session, true)).toBeUndefined();
      expect(await store.exists(key)).toBe(false);
    });

    it('writes a new row after flush() then set(), and deletes the old one', async () => {
      const { store, engine, key } = await withRow();
      const session = await engine.open(key);
      session.flush();
      session.set('user', 7);
      const saved = await persist(engine, session, true);
      expect(saved!.key).not.toBe(key);
      expect(await store.exists(key)).toBe(false);
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 7 });
    });

    it('moves the row to the new key after cycleKey()', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const session = await engine.open(key);
      session.cycleKey();
      const saved = await persist(engine, session, true);
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
      const saved = await persist(engine, session, true);
      expect(saved!.key).not.toBe(taken);
      expect((await store.load(taken))!.data).toBe('someone else');
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 42 });
    });

    it('refuses to bring back a row deleted meanwhile', async () => {
      const { store, engine, key } = await withRow();
      const session = await engine.open(key);
      await store.delete(key);
      session.set('user', 7);
      await expect(persist(engine, session, true)).rejects.toBeInstanceOf(SessionInterruptedError);
      expect(await store.exists(key)).toBe(false);
    });
  });

  describe('many writers on one session', () => {
    it('the later commit wins a key both wrote, even when it sets the value it read', async () => {
      const { store, engine, key } = await withRow({ colour: 'red' });
      const first = await engine.open(key);
      const second = await engine.open(key);
      first.set('colour', 'blue');
      second.set('colour', 'red'); // the value it read, written on purpose
      await persist(engine, first, true);
      await persist(engine, second, true);
      expect(await decodedRow(store, key)).toEqual({ colour: 'red' });
    });

    it('a key deleted by the later commit stays deleted; keys written by neither stay as stored', async () => {
      const { store, engine, key } = await withRow({ a: 1, b: 2, c: 3 });
      const first = await engine.open(key);
      const second = await engine.open(key);
      first.set('a', 10);
      second.delete('a');
      second.set('b', 20);
      await persist(engine, first, true);
      await persist(engine, second, true);
      expect(await decodedRow(store, key)).toEqual({ b: 20, c: 3 });
    });

    it('parallel saves from one process queue and coalesce: every write kept, few UPDATEs, no conflict', async () => {
      const { store, engine, key } = await withRow({ base: true });
      const outcomes: boolean[] = [];
      const realUpdate = store.update.bind(store);
      store.update = async (...args) => {
        const done = await realUpdate(...args);
        outcomes.push(done);
        return done;
      };
      const sessions = await Promise.all(Array.from({ length: 50 }, () => engine.open(key)));
      sessions.forEach((session, i) => session.set(`k${i}`, i));
      await Promise.all(sessions.map((session) => persist(engine, session, true)));
      const stored = (await decodedRow(store, key))!;
      expect(Object.keys(stored)).toHaveLength(51);
      // One UPDATE goes alone; the 49 that arrive meanwhile share the next one.
      expect(outcomes.length).toBeLessThanOrEqual(3);
      expect(outcomes.every(Boolean)).toBe(true);
    });

    it('a save still queued after storeTimeout gets a 409 and is never written', async () => {
      const store = new MemorySessionStore();
      const { engine } = await setUp({ storeTimeout: 100 }, store);
      const session = await engine.open(null);
      const key = (await persist(engine, session.set('n', 0), true))!.key;
      // The turn ahead takes longer than storeTimeout in all, though each statement answers in
      // time: its first UPDATE, 60 ms, finds the row changed by another process, and its retry
      // takes 60 ms more. That save, under way at its deadline, gets a 503; the one still
      // waiting behind it a 409.
      const realUpdate = store.update.bind(store);
      let calls = 0;
      store.update = async (updateKey, record, version) => {
        await new Promise((resolve) => setTimeout(resolve, 60));
        if (++calls > 1) return realUpdate(updateKey, record, version);
        const row = (await store.load(updateKey))!;
        await realUpdate(updateKey, { data: row.data, expiresAt: row.expiresAt }, row.version);
        return false;
      };
      const slow = (await engine.open(key)).set('slow', 1);
      const waiting = (await engine.open(key)).set('waiting', 1);
      const slowSave = persist(engine, slow, true).catch((e: unknown) => e);
      await new Promise((resolve) => setImmediate(resolve));
      const waitingSave = persist(engine, waiting, true).catch((e: unknown) => e);
      expect(await waitingSave).toBeInstanceOf(SessionConflictError);
      expect(await slowSave).toBeInstanceOf(SessionStoreUnavailableError);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await decodedRow(store, key)).not.toHaveProperty('waiting');
    });

    it('a login keeps every write that reached the old row before it went', async () => {
      const { store, engine, key } = await withRow({ user: 42 });
      const login = await engine.open(key);
      const writer = await engine.open(key);
      login.set('logged_in', true);
      login.cycleKey();
      // The write commits to the old row after the login read it, before its old row goes.
      await persist(engine, writer.set('cart', ['book']), true);
      const saved = await persist(engine, login, true);
      expect(await store.exists(key)).toBe(false);
      expect(await decodedRow(store, saved!.key)).toEqual({ user: 42, logged_in: true, cart: ['book'] });
    });

    it('a version at the top of its range wraps to 0 and saves go on', async () => {
      const { store, engine, key } = await withRow({ n: 1 });
      const row = (await store.load(key))!;
      (store as unknown as { rows: Map<string, { version: number }> }).rows.get(key)!.version = MAX_SESSION_VERSION;
      const session = await engine.open(key);
      await persist(engine, session.set('n', 2), true);
      expect((await store.load(key))!.version).toBe(0);
      expect(row.version).toBe(0);
      await persist(engine, (await engine.open(key)).set('n', 3), true);
      expect(await decodedRow(store, key)).toEqual({ n: 3 });
    });
  });

  describe('a failing store', () => {
    it('makes open() reject with a 503', async () => {
      const { engine } = await setUp({}, new FailingStore());
      const error = await engine.open('a'.repeat(32)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as SessionStoreUnavailableError).getStatus()).toBe(503);
    });

    it('makes persist() reject with a 503', async () => {
      const { engine } = await setUp({}, new FailingStore());
      const session = await engine.open(null);
      await persist(engine, session.set('user', 42), true);
      const error = await persist(engine, session.set('user', 7), true).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as SessionStoreUnavailableError).getStatus()).toBe(503);
    });
  });
});
