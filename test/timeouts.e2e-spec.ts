import { testDatabases } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { createTestApp, sessionCookie, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(testDatabases())('the absolute timeout on %s', (db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(db, [ProbeController], { absoluteTimeout: 2, saveEveryRequest: true });
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
