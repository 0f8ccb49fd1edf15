import { generateSessionKey } from '../src/session/index.js';
import { ProbeController } from './support/probe.controller.js';
import { createTestApp, platformBackends, sessionCookie, setCookies, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(platformBackends(['sqlite']))('%s: the absolute timeout on %s', (platform, db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(db, [ProbeController], { absoluteTimeout: 2, saveEveryRequest: true }, { platform });
  });
  afterEach(() => t.close());

  it('ends a session 2 s after it began however active it is, its cookie never outliving it', async () => {
    const started = Date.now();
    const key = sessionCookie(await t.http().get('/set?k=n&v=0').expect(200)).value;
    let ended = false;
    for (let i = 1; Date.now() - started < 3_500 && !ended; i++) {
      const res = await t.http().get(`/set?k=n&v=${i}`).set('Cookie', withKey(key)).expect(200);
      const cookie = sessionCookie(res);
      if (cookie.value === key) {
        // Every refresh of a live session: at most what is left of its 2 s.
        const left = Math.ceil((started + 2_000 - Date.now()) / 1000) + 1;
        expect(Number(cookie.attributes['max-age'])).toBeLessThanOrEqual(left);
      } else {
        // It ended: the write started a new session of its own instead.
        ended = true;
        expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      }
      await sleep(150);
    }
    expect(ended).toBe(true);
    const old = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
    expect(old.body).toEqual({});
    expect(sessionCookie(old).attributes['max-age']).toBe('0');
  }, 10_000);

  it('counts from the last login: a new key starts the clock again', async () => {
    const key = sessionCookie(await t.http().get('/set?k=n&v=0').expect(200)).value;
    await sleep(1_200);
    const login = await t.http().get('/bind?user=ann').set('Cookie', withKey(key)).expect(200);
    const fresh = sessionCookie(login).value;
    expect(Number(sessionCookie(login).attributes['max-age'])).toBe(2);
    await sleep(1_200);
    // 2.4 s after the session began, 1.2 s after the login: still live.
    expect((await t.http().get('/read').set('Cookie', withKey(fresh)).expect(200)).body).toMatchObject({
      _auth_user_id: 'ann',
    });
  }, 10_000);
});

describe.each(platformBackends(['sqlite']))('%s: touchAfter on a rolling session on %s', (platform, db) => {
  let t: TestApp;
  afterEach(() => t.close());
  const writes = () => t.queries.statements.filter((sql) => /^\s*(INSERT|UPDATE|DELETE)/i.test(sql)).length;

  it('reads a rolling session N times within touchAfter for N reads and no write, re-sending no cookie', async () => {
    t = await createTestApp(db, [ProbeController], { saveEveryRequest: true, touchAfter: 60 }, { platform });
    const key = sessionCookie(await t.http().get('/set?k=n&v=1').expect(200)).value;
    t.queries.reset();
    for (let i = 0; i < 10; i++) {
      const res = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
      expect(setCookies(res)).toHaveLength(0);
    }
    expect(t.queries.count).toBe(10);
    expect(writes()).toBe(0);
  });

  it('refreshes once the last refresh is older than touchAfter: one write and the cookie, then none again', async () => {
    t = await createTestApp(db, [ProbeController], { saveEveryRequest: true, touchAfter: 1 }, { platform });
    const key = sessionCookie(await t.http().get('/set?k=n&v=1').expect(200)).value;
    await sleep(1_100);
    t.queries.reset();
    const due = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
    expect(sessionCookie(due).value).toBe(key);
    expect(writes()).toBe(1);
    t.queries.reset();
    for (let i = 0; i < 5; i++) await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
    expect(writes()).toBe(0);
    expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ n: '1' });
  }, 10_000);

  it('drops a refresh that loses to a real write: neither merged nor retried, the write kept', async () => {
    t = await createTestApp(db, [ProbeController], { saveEveryRequest: true, touchAfter: 1 }, { platform });
    const key = sessionCookie(await t.http().get('/set?k=n&v=1').expect(200)).value;
    await sleep(1_100);
    const slow = t.http().get('/slow-read?ms=300').set('Cookie', withKey(key));
    const reading = slow.then((res) => res);
    await sleep(100);
    await t.http().get('/set?k=n&v=2').set('Cookie', withKey(key)).expect(200);
    t.queries.reset();
    const res = await reading;
    expect(res.status).toBe(200);
    expect(setCookies(res)).toHaveLength(0);
    // One conditional UPDATE that found the row moved on, and nothing after it.
    expect(writes()).toBeLessThanOrEqual(1);
    expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({ n: '2' });
  }, 10_000);
});

describe.each(platformBackends(['sqlite']))('%s: renewAfter on %s', (platform, db) => {
  let t: TestApp;
  afterEach(() => t.close());
  const get = (path: string, key: string) => t.http().get(path).set('Cookie', withKey(key));

  it('gives an old key a new one, data kept; the old key works through the grace, then is dead', async () => {
    t = await createTestApp(db, [ProbeController], { renewAfter: 1, renewGrace: 2 }, { platform });
    const old = sessionCookie(await t.http().get('/set?k=n&v=1').expect(200)).value;
    await sleep(1_100);
    const renewed = await get('/read', old).expect(200);
    expect(renewed.body).toEqual({ n: '1' });
    const fresh = sessionCookie(renewed).value;
    expect(fresh).not.toBe(old);
    // In the grace: the old key still reads, writes land in the renewed session, and both learn the new key.
    const again = await get('/read', old).expect(200);
    expect([again.body, sessionCookie(again).value]).toEqual([{ n: '1' }, fresh]);
    const write = await get('/set?k=m&v=2', old).expect(200);
    expect(sessionCookie(write).value).toBe(fresh);
    expect((await get('/read', fresh).expect(200)).body).toEqual({ n: '1', m: '2' });
    await sleep(2_100);
    const dead = await get('/read', old).expect(200);
    expect(dead.body).toEqual({});
    expect(sessionCookie(dead).attributes['max-age']).toBe('0');
    expect((await get('/read', fresh).expect(200)).body).toEqual({ n: '1', m: '2' });
  }, 15_000);

  it('a key written in as a renewed one, by someone who can write the store but lacks the secret, reaches nothing', async () => {
    t = await createTestApp(db, [ProbeController], { renewAfter: 3600 }, { platform });
    const victim = sessionCookie(await t.http().get('/set?k=n&v=1').expect(200)).value;
    const chosen = generateSessionKey();
    await t.editRow(victim, { previousKey: chosen, previousUntil: new Date(Date.now() + 3_600_000) });
    const res = await get('/read', chosen).expect(200);
    expect(res.body).toEqual({});
    expect(setCookies(res).map((cookie) => cookie.value)).not.toContain(victim);
    expect((await get('/read', victim).expect(200)).body).toEqual({ n: '1' });
  });

  it('parallel requests on the old key when its renewal is due: none logged out, none lost, one new key', async () => {
    t = await createTestApp(db, [ProbeController], { renewAfter: 1, renewGrace: 30 }, { platform });
    const old = sessionCookie(await t.http().get('/set?k=start&v=1').expect(200)).value;
    await sleep(1_100);
    const requests = Array.from({ length: 30 }, (_, i) =>
      (i % 2 === 0 ? get(`/set?k=w${i}&v=${i}`, old) : get('/read', old)).then((res) => res),
    );
    const responses = await Promise.all(requests);
    expect(responses.map((res) => res.status)).toEqual(responses.map(() => 200));
    for (const res of responses.filter((_, i) => i % 2 === 1)) expect(res.body).toMatchObject({ start: '1' });
    const sent = new Set(responses.flatMap((res) => setCookies(res).map((cookie) => cookie.value)));
    // A save that went out before the renewal answers with the old key, still good in its grace;
    // every other cookie names the one new key, and none is a deletion.
    const renewedTo = [...sent].filter((key) => key !== old);
    expect(renewedTo).toHaveLength(1);
    expect(renewedTo[0]).toMatch(/^[a-z0-9]{32}$/);
    const [fresh] = renewedTo;
    const session = (await get('/read', fresh).expect(200)).body;
    for (let i = 0; i < 30; i += 2) expect([i, session[`w${i}`]]).toEqual([i, String(i)]);
    // The old key, in its grace, still reads the same session.
    expect((await get('/read', old).expect(200)).body).toEqual(session);
  }, 15_000);

  it('keeps the absolute timeout counting from the login, not from a renewal', async () => {
    t = await createTestApp(db, [ProbeController], { renewAfter: 1, absoluteTimeout: 2 }, { platform });
    const old = sessionCookie(await t.http().get('/set?k=n&v=1').expect(200)).value;
    await sleep(1_100);
    const fresh = sessionCookie(await get('/read', old).expect(200)).value;
    expect(fresh).not.toBe(old);
    await sleep(1_000);
    expect((await get('/read', fresh).expect(200)).body).toEqual({});
  }, 15_000);
});
