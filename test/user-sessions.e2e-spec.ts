import { SessionsService, type UserSession } from '../src/session/index.js';
import { testBackends } from './support/databases.js';
import { createExpressSessionApp } from './support/express-session-app.js';
import { ProbeController } from './support/probe.controller.js';
import { createTestApp, platformBackends, sessionCookie, setCookies, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148';

describe.each(platformBackends(['sqlite']))('%s: the sessions of a user on %s', (platform, db) => {
  let t: TestApp;
  let sessions: SessionsService;
  beforeEach(async () => {
    t = await createTestApp(db, [ProbeController], {}, { platform });
    sessions = t.app.get(SessionsService);
  });
  afterEach(() => t.close());

  /** Logs `user` in from a browser of `agent`; resolves the session key. */
  const login = async (user: string, agent = FIREFOX) =>
    sessionCookie(await t.http().get(`/bind?user=${user}`).set('User-Agent', agent).expect(200)).value;
  const read = (key: string) => t.http().get('/read').set('Cookie', withKey(key));
  const idOf = (list: UserSession[], current: boolean) => list.find((entry) => entry.current === current)!.id;

  it('lists them with a public id, times, IP and browser, marking the current one', async () => {
    const laptop = await login('ann');
    const phone = await login('ann', PHONE);
    await login('bob');
    const before = Date.now();
    const list = await sessions.listForUser('ann', laptop);
    expect(list).toHaveLength(2);
    for (const entry of list) {
      expect(entry.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect([laptop, phone]).not.toContain(entry.id);
      expect(entry.ip).toMatch(/127\.0\.0\.1|::1/);
      expect(entry.createdAt.getTime()).toBeLessThanOrEqual(entry.lastSeenAt.getTime());
      expect(entry.expiresAt.getTime()).toBeGreaterThan(before + 13 * 86_400_000);
    }
    expect(list.map((entry) => [entry.current, entry.userAgent]).sort()).toEqual([
      [false, PHONE],
      [true, FIREFOX],
    ]);
    expect(await sessions.listForUser('nobody')).toEqual([]);
  });

  it('revokes one by public id: its next request is logged out, the others stay', async () => {
    const laptop = await login('ann');
    const phone = await login('ann', PHONE);
    const phoneId = idOf(await sessions.listForUser('ann', laptop), false);
    expect(await sessions.revoke('ann', phoneId)).toBe(true);
    const res = await read(phone).expect(200);
    expect(res.body).toEqual({});
    expect(sessionCookie(res).attributes['max-age']).toBe('0');
    expect((await read(laptop)).body).toMatchObject({ _auth_user_id: 'ann' });
    expect(await sessions.revoke('ann', phoneId)).toBe(false);
  });

  it.each([
    ['malformed', () => 'not-an-id'],
    ['not a string', () => 42],
    ['unknown', () => 'A'.repeat(22)],
  ])('revokes nothing for an id that is %s', async (_name, id) => {
    const key = await login('ann');
    expect(await sessions.revoke('ann', id())).toBe(false);
    expect(await sessions.listForUser('ann')).toHaveLength(1);
    await read(key).expect(200);
    expect((await read(key)).body).toMatchObject({ _auth_user_id: 'ann' });
  });

  it("revokes nothing for another user's session", async () => {
    await login('ann');
    const bob = await login('bob');
    const bobId = (await sessions.listForUser('bob'))[0].id;
    expect(await sessions.revoke('ann', bobId)).toBe(false);
    expect((await read(bob)).body).toMatchObject({ _auth_user_id: 'bob' });
  });

  it('revokes all but the current one, then all', async () => {
    const current = await login('ann');
    await login('ann', PHONE);
    await login('ann', PHONE);
    const bob = await login('bob');
    expect(await sessions.revokeOthers('ann', current)).toBe(2);
    expect((await sessions.listForUser('ann', current)).map((entry) => entry.current)).toEqual([true]);
    expect(await sessions.revokeAll('ann')).toBe(1);
    expect(await sessions.listForUser('ann')).toEqual([]);
    expect((await read(bob)).body).toMatchObject({ _auth_user_id: 'bob' });
  });

  it('a slow request that finishes after the revocation does not bring the session back', async () => {
    const key = await login('ann');
    const slow = t.http().get('/slow-set?k=late&v=1&ms=1000').set('Cookie', withKey(key));
    const pending = slow.then((res) => res);
    // Long enough for the slow request to have read its session on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await sessions.revokeAll('ann')).toBe(1);
    const res = await pending;
    expect(res.status).toBe(400);
    expect(setCookies(res)).toHaveLength(0);
    expect(await t.rows()).toHaveLength(0);
  });

  it('a logout unbinds the session, and an unbound session is nobody’s', async () => {
    const key = await login('ann');
    await t.http().get('/flush').set('Cookie', withKey(key)).expect(200);
    expect(await sessions.listForUser('ann')).toEqual([]);
    await t.http().get('/set?k=a&v=1').expect(200);
    expect(await t.rows()).toHaveLength(1);
    expect(await sessions.listForUser('ann')).toEqual([]);
  });

  it('leaves out a row whose user index was moved to another user, as its signed data says otherwise', async () => {
    const bob = await login('bob');
    await t.editRow(bob, { userId: 'ann' });
    expect(await sessions.listForUser('ann')).toEqual([]);
    expect(await sessions.revokeAll('ann')).toBe(0);
    expect((await read(bob)).body).toMatchObject({ _auth_user_id: 'bob' });
  });
});

describe.each(testBackends())('passport users as the users of sessions, on %s', (db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createExpressSessionApp(db);
  });
  afterEach(() => t.close());

  it('binds a passport login to the serialized user, and its logout unbinds it', async () => {
    const sessions = t.app.get(SessionsService);
    const res = await t.http().post('/compat/login').type('form').send({ username: 'root', password: 'pass' });
    const key = sessionCookie(res).value;
    const list = await sessions.listForUser('root', key);
    expect(list.map((entry) => entry.current)).toEqual([true]);
    await t.http().post('/compat/logout').set('Cookie', withKey(key)).expect(201);
    expect(await sessions.listForUser('root')).toEqual([]);
  });

  it('revoking a passport session logs its next request out', async () => {
    const sessions = t.app.get(SessionsService);
    const res = await t.http().post('/compat/login').type('form').send({ username: 'root', password: 'pass' });
    const key = sessionCookie(res).value;
    await t.http().get('/compat/me').set('Cookie', withKey(key)).expect(200);
    expect(await sessions.revokeAll('root')).toBe(1);
    await t.http().get('/compat/me').set('Cookie', withKey(key)).expect(401);
  });
});
