import { createBlogApp, csrfFrom } from './support/blog-app.js';
import { platformBackends, sessionCookie, setCookies, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;

describe.each(platformBackends())("the demo's Passport login on %s, on %s", (platform, db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createBlogApp(db, {}, {}, platform);
  });
  afterEach(() => t.close());

  /** The login form, fetched with `cookies`; its CSRF cookie and token. */
  async function loginForm(cookies: string[] = []) {
    const req = t.http().get('/passport/login/');
    const res = await (cookies.length ? req.set('Cookie', cookies.join('; ')) : req).expect(200);
    return { res, ...csrfFrom(res) };
  }

  const post = (path: string, fields: Record<string, string>, cookies: string[]) => {
    const req = t.http().post(path).type('form');
    return (cookies.length ? req.set('Cookie', cookies.join('; ')) : req).send(fields);
  };

  /** Logs in as root; resolves the new session key and the CSRF cookie. */
  async function logIn(cookies: string[] = []): Promise<{ key: string; csrf: string }> {
    const { cookie, token } = await loginForm(cookies);
    const res = await post('/passport/login/', { username: 'root', password: 'pass', csrfmiddlewaretoken: token }, [
      ...cookies,
      cookie,
    ]).expect(302);
    expect(res.headers.location).toBe('/passport/profile/');
    return { key: sessionCookie(res).value, csrf: cookie };
  }

  it('the home page links to it', async () => {
    const res = await t.http().get('/').expect(200);
    expect(res.text).toContain('href="/passport/login/"');
  });

  it('shows a form with username, password and a CSRF token, creating no session and sending no query', async () => {
    t.queries.reset();
    const { res, token } = await loginForm();
    expect(res.text).toMatch(/<input type="text" name="username"/);
    expect(res.text).toMatch(/<input type="password" name="password"/);
    expect(res.text).toContain(`<input type="hidden" name="csrfmiddlewaretoken" value="${token}">`);
    expect(res.text).toMatch(/<title>Login with Passport · nest-sessions demo<\/title>[\s\S]*<a href="\/">Home<\/a>/);
    expect(setCookies(res)).toHaveLength(0);
    expect(t.queries.count).toBe(0);
    expect(await t.rows()).toHaveLength(0);
  });

  it('logs in: 302 to the profile, the key rotated, the old key dead', async () => {
    const before = sessionCookie(await t.http().get('/save-session-data/')).value;
    const { key } = await logIn([withKey(before)]);
    expect(key).not.toBe(before);
    const profile = await t.http().get('/passport/profile/').set('Cookie', withKey(key)).expect(200);
    expect(profile.text).toContain('Logged in as root');
    expect(profile.text).toMatch(
      /<form method="post" action="\/passport\/logout\/">\s*<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">/,
    );
    const stale = await t.http().get('/passport/profile/').set('Cookie', withKey(before)).expect(302);
    expect(stale.headers.location).toBe('/passport/login/');
    expect((await t.rows()).map((row) => row.session_key)).toEqual([key]);
  });

  it("keeps the visitor's data through the login, under the new key, as Django's login() does", async () => {
    const before = sessionCookie(await t.http().get('/bench/put?k=cart&v=3')).value;
    await t.http().get('/bench/put?k=color&v=blue').set('Cookie', withKey(before)).expect(200);
    const { key } = await logIn([withKey(before)]);
    const data = await t.http().get('/bench/get').set('Cookie', withKey(key)).expect(200);
    expect(data.body).toEqual({ cart: '3', color: 'blue', passport: { user: 'root' } });
  });

  it('reads the session with one query on its routes, and leaves the other routes lazy', async () => {
    const { key } = await logIn();
    t.queries.reset();
    await t.http().get('/passport/profile/').set('Cookie', withKey(key)).expect(200);
    expect(t.queries.count).toBe(1);
    t.queries.reset();
    await t.http().get('/').set('Cookie', withKey(key)).expect(200);
    expect(t.queries.count).toBe(0);
  });

  it.each([
    ['a wrong password', { username: 'root', password: 'nope' }],
    ['empty fields', { username: '', password: '' }],
  ])('sends %s back to the form, where the error shows once', async (_name, fields) => {
    const { cookie, token } = await loginForm();
    const res = await post('/passport/login/', { ...fields, csrfmiddlewaretoken: token }, [cookie]).expect(302);
    expect(res.headers.location).toBe('/passport/login/');
    const key = sessionCookie(res).value;
    const shown = await t
      .http()
      .get('/passport/login/')
      .set('Cookie', [cookie, withKey(key)].join('; '))
      .expect(200);
    expect(shown.text.split('Error wrong username/password')).toHaveLength(2);
    const again = await t
      .http()
      .get('/passport/login/')
      .set('Cookie', [cookie, withKey(key)].join('; '))
      .expect(200);
    expect(again.text).not.toContain('Error wrong username/password');
    await t.http().get('/passport/profile/').set('Cookie', withKey(key)).expect(302);
  });

  it.each([
    ['no token', () => ({})],
    ['a wrong token', () => ({ csrfmiddlewaretoken: 'x'.repeat(129) })],
  ])('refuses a login post with %s (403), logging nobody in', async (_name, extra) => {
    const { cookie } = await loginForm();
    const res = await post('/passport/login/', { username: 'root', password: 'pass', ...extra() }, [cookie]).expect(
      403,
    );
    expect(setCookies(res)).toHaveLength(0);
    expect(await t.rows()).toHaveLength(0);
  });

  it('refuses a logout post whose token belongs to another session (403)', async () => {
    const mine = await logIn();
    const theirs = await logIn();
    const page = await t
      .http()
      .get('/passport/profile/')
      .set('Cookie', [theirs.csrf, withKey(theirs.key)].join('; '));
    const { cookie, token } = csrfFrom(page);
    await post('/passport/logout/', { csrfmiddlewaretoken: token }, [cookie, withKey(mine.key)]).expect(403);
    await t.http().get('/passport/profile/').set('Cookie', withKey(mine.key)).expect(200);
  });

  it('logs out: 302 to the form, the key rotated, the profile closed again', async () => {
    const { key, csrf } = await logIn();
    const page = await t
      .http()
      .get('/passport/profile/')
      .set('Cookie', [csrf, withKey(key)].join('; '));
    const { cookie, token } = csrfFrom(page);
    const res = await post('/passport/logout/', { csrfmiddlewaretoken: token }, [cookie, withKey(key)]).expect(302);
    expect(res.headers.location).toBe('/passport/login/');
    const next = sessionCookie(res).value;
    expect(next).not.toBe(key);
    await t.http().get('/passport/profile/').set('Cookie', withKey(key)).expect(302);
    await t.http().get('/passport/profile/').set('Cookie', withKey(next)).expect(302);
    const form = await t.http().get('/passport/login/').set('Cookie', withKey(next)).expect(200);
    expect(form.text).toContain('You have been logged out');
  });

  it('sends strangers from the profile to the form', async () => {
    const res = await t.http().get('/passport/profile/').expect(302);
    expect(res.headers.location).toBe('/passport/login/');
  });
});
