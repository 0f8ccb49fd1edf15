import { createBlogApp, csrfFrom } from './support/blog-app.js';
import { platformBackends, sessionCookie, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

describe.each(platformBackends())("the demo's sessions page on %s, on %s", (platform, db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createBlogApp(db, {}, {}, platform);
  });
  afterEach(() => t.close());

  /** A login through the form at `path` from a browser of `agent`; resolves the logged-in session key. */
  async function logIn(path: string, agent: string): Promise<string> {
    const form = await t.http().get(path).set('User-Agent', agent).expect(200);
    const { cookie, token } = csrfFrom(form);
    const res = await t
      .http()
      .post(path)
      .type('form')
      .set('User-Agent', agent)
      .set('Cookie', cookie)
      .send({ username: 'root', password: 'pass', csrfmiddlewaretoken: token })
      .expect(302);
    return sessionCookie(res).value;
  }
  const lousyLogin = (agent: string) => logIn('/lousy-login/', agent);
  const passportLogin = (agent: string) => logIn('/passport/login/', agent);
  // The Passport login stands on ExpressSessionMiddleware's `req.session`, which Fastify lacks.

  const page = (key: string) => t.http().get('/sessions/').set('Cookie', withKey(key));
  const ids = (html: string) => [...html.matchAll(/data-session-id="([^"]+)"/g)].map((match) => match[1]);
  const currentId = (html: string) => /data-session-id="([^"]+)" data-current="true"/.exec(html)?.[1];

  async function post(key: string, path: string, fields: Record<string, string> = {}) {
    const shown = await page(key).expect(200);
    const { cookie, token } = csrfFrom(shown);
    return t
      .http()
      .post(path)
      .type('form')
      .set('Cookie', [cookie, withKey(key)].join('; '))
      .send({ ...fields, csrfmiddlewaretoken: token });
  }

  it('sends a visitor who is not logged in to the login form', async () => {
    const res = await t.http().get('/sessions/').expect(302);
    expect(res.headers.location).toBe('/lousy-login/');
  });

  it("a visitor cannot make itself a user, nor see a user's sessions, through the bench routes", async () => {
    const laptop = await lousyLogin(LAPTOP);
    const visitor = sessionCookie(await t.http().get('/bench/put?k=color&v=blue').expect(200)).value;
    for (const key of ['_auth_user_id', 'passport']) {
      await t.http().get(`/bench/put?k=${key}&v=root`).set('Cookie', withKey(visitor)).expect(400);
    }
    expect((await page(visitor).expect(302)).headers.location).toBe('/lousy-login/');
    expect(ids((await page(laptop).expect(200)).text)).toHaveLength(1);
  });

  it("lists the user's sessions from both logins, the current one marked, with IP and browser", async () => {
    const laptop = await lousyLogin(LAPTOP);
    await passportLogin(PHONE);
    const res = await page(laptop).expect(200);
    expect(ids(res.text)).toHaveLength(2);
    expect(currentId(res.text)).toBeDefined();
    expect(res.text).toContain(LAPTOP.replace(/;/g, ';'));
    expect(res.text).toContain('iPhone');
    expect(res.text).toMatch(/from (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)/);
    expect(res.text).toMatch(/<title>Your sessions · nest-sessions demo<\/title>/);
    expect(res.text).toContain('<form method="post" action="/sessions/revoke-others/">');
  });

  it('ends one session by id: its next request goes to the login form, this one stays', async () => {
    const laptop = await lousyLogin(LAPTOP);
    const phone = await lousyLogin(PHONE);
    const shown = await page(laptop).expect(200);
    expect(ids(shown.text)).toHaveLength(2);
    expect(shown.text).toContain('iPhone');
    expect(shown.text).toMatch(/from (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)/);
    const other = ids(shown.text).find((id) => id !== currentId(shown.text))!;
    const res = await post(laptop, '/sessions/revoke/', { id: other });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/sessions/');
    const secret = await t.http().get('/lousy-secret/').set('Cookie', withKey(phone)).expect(302);
    expect(secret.headers.location).toBe('/lousy-login/');
    await t.http().get('/lousy-secret/').set('Cookie', withKey(laptop)).expect(200);
    expect(ids((await page(laptop).expect(200)).text)).toEqual([currentId(shown.text)]);
  });

  it('ends all the other sessions at once', async () => {
    const laptop = await lousyLogin(LAPTOP);
    const others = [await lousyLogin(PHONE), await passportLogin(PHONE)];
    const res = await post(laptop, '/sessions/revoke-others/');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/sessions/');
    const secret = await t.http().get('/lousy-secret/').set('Cookie', withKey(others[0])).expect(302);
    expect(secret.headers.location).toBe('/lousy-login/');
    await t.http().get('/passport/profile/').set('Cookie', withKey(others[1])).expect(302);
    await t.http().get('/lousy-secret/').set('Cookie', withKey(laptop)).expect(200);
  });

  it('revokes nothing for an id that is not one of the sessions', async () => {
    const laptop = await lousyLogin(LAPTOP);
    const phone = await lousyLogin(PHONE);
    for (const id of ['nonsense', 'A'.repeat(22), '']) {
      expect((await post(laptop, '/sessions/revoke/', { id })).status).toBe(302);
    }
    await t.http().get('/lousy-secret/').set('Cookie', withKey(phone)).expect(200);
  });

  it('refuses a revocation without the CSRF token (403)', async () => {
    const laptop = await lousyLogin(LAPTOP);
    const phone = await lousyLogin(PHONE);
    await t.http().post('/sessions/revoke-others/').set('Cookie', withKey(laptop)).expect(403);
    await t.http().get('/lousy-secret/').set('Cookie', withKey(phone)).expect(200);
  });

  it('is linked from the home, secret and profile pages', async () => {
    expect((await t.http().get('/').expect(200)).text).toContain('href="/sessions/"');
    const lousy = await lousyLogin(LAPTOP);
    expect((await t.http().get('/lousy-secret/').set('Cookie', withKey(lousy))).text).toContain('href="/sessions/"');
    const passport = await passportLogin(LAPTOP);
    expect((await t.http().get('/passport/profile/').set('Cookie', withKey(passport))).text).toContain(
      'href="/sessions/"',
    );
  });
});
