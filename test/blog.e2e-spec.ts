import { testDatabases } from './support/databases.js';
import { createBlogApp, csrfFrom } from './support/blog-app.js';
import { platformBackends, sessionCookie, setCookies, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;

describe.each(platformBackends())('the blog demo on %s, on %s (SPEC §5)', (platform, db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createBlogApp(db, {}, {}, platform);
  });
  afterEach(() => t.close());

  it('the home page links to every flow and never touches the session', async () => {
    t.queries.reset();
    const res = await t
      .http()
      .get('/')
      .set('Cookie', withKey('a'.repeat(32)))
      .expect(200);
    for (const path of [
      '/test-session/',
      '/test-delete/',
      '/save-session-data/',
      '/access-session-data/',
      '/delete-session-data/',
      '/lousy-login/',
      '/lousy-secret/',
      '/lousy-logout/',
    ]) {
      expect(res.text).toContain(`href="${path}`);
    }
    // The load-test routes stay, off the page meant for people.
    expect(res.text).not.toContain('/bench/');
    expect(res.text).toMatch(/<title>Home · nest-sessions demo<\/title>/);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers.vary).toBeUndefined();
    expect(t.queries.count).toBe(0);
  });

  describe('the test cookie', () => {
    it('passes when the browser sends the session back, once', async () => {
      const set = await t.http().get('/test-session/').expect(200, 'Testing session cookie');
      const key = sessionCookie(set).value;
      await t.http().get('/test-delete/').set('Cookie', withKey(key)).expect(200, 'Cookie test passed');
      await t.http().get('/test-delete/').set('Cookie', withKey(key)).expect(200, 'Cookie test failed');
    });

    it('fails when the browser keeps no cookie', async () => {
      await t.http().get('/test-session/').expect(200);
      await t.http().get('/test-delete/').expect(200, 'Cookie test failed');
    });
  });

  describe('save, read and delete session data', () => {
    it('walks through the tutorial, the SID staying the same', async () => {
      await t.http().get('/access-session-data/').expect(200, 'No session data');
      const saved = await t.http().get('/save-session-data/').expect(200, 'Session Data Saved');
      const key = sessionCookie(saved).value;
      const read = await t.http().get('/access-session-data/').set('Cookie', withKey(key)).expect(200);
      expect(read.text).toBe('Id : 1 <br>Name : root <br>Password : rootpass <br>');
      expect(read.headers['content-type']).toBe('text/html; charset=utf-8');
      const cleared = await t.http().get('/delete-session-data/').set('Cookie', withKey(key)).expect(200);
      expect(cleared.text).toBe('Session Data cleared');
      expect(sessionCookie(cleared).value).toBe(key);
      await t.http().get('/access-session-data/').set('Cookie', withKey(key)).expect(200, 'No session data');
      const again = await t.http().get('/save-session-data/').set('Cookie', withKey(key)).expect(200);
      expect(sessionCookie(again).value).toBe(key);
    });

    it('takes paths with or without the trailing slash', async () => {
      const key = sessionCookie(await t.http().get('/save-session-data').expect(200)).value;
      await t
        .http()
        .get('/access-session-data')
        .set('Cookie', withKey(key))
        .expect(200, /^Id : 1 <br>/);
    });

    it('shows only the keys present, escaped', async () => {
      const key = sessionCookie(await t.http().get('/bench/put?k=name&v=%3Cscript%3Ex%3C%2Fscript%3E')).value;
      const read = await t.http().get('/access-session-data/').set('Cookie', withKey(key)).expect(200);
      expect(read.text).toBe('Name : &#60;script&#62;x&#60;/script&#62; <br>');
    });
  });

  describe('the lousy login', () => {
    async function loginForm(cookie?: string) {
      const req = t.http().get('/lousy-login/');
      const res = await (cookie ? req.set('Cookie', cookie) : req).expect(200);
      return { res, ...csrfFrom(res) };
    }

    function post(fields: Record<string, string>, cookie?: string) {
      const req = t.http().post('/lousy-login/').type('form');
      return (cookie ? req.set('Cookie', cookie) : req).send(fields);
    }

    it('the secret page sends strangers to the login form, writing nothing', async () => {
      const res = await t.http().get('/lousy-secret/').expect(302);
      expect(res.headers.location).toBe('/lousy-login/');
      expect(setCookies(res)).toHaveLength(0);
      expect(await t.rows()).toHaveLength(0);
    });

    it('showing the form creates no session, only the CSRF cookie', async () => {
      const { res, token } = await loginForm();
      expect(res.text).toMatch(/<title>Login · nest-sessions demo<\/title>[\s\S]*<a href="\/">Home<\/a>/);
      expect(res.text).toMatch(/<input type="text" name="username"/);
      expect(res.text).toMatch(/<input type="password" name="password"/);
      expect(res.text).toMatch(/<input type="submit"/);
      expect(token).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{64}$/);
      const [csrf] = setCookies(res, 'csrftoken');
      expect(csrf.attributes).toMatchObject({ 'max-age': '31449600', path: '/', httponly: true, samesite: 'Lax' });
      expect(setCookies(res)).toHaveLength(0);
      expect(await t.rows()).toHaveLength(0);
    });

    it.each([
      ['no token', (_token: string) => ({ username: 'root', password: 'pass' })],
      [
        'a wrong token',
        (_token: string) => ({ username: 'root', password: 'pass', csrfmiddlewaretoken: 'x'.repeat(43) }),
      ],
    ])('refuses a post with %s (403), logging nobody in', async (_name, fields) => {
      const { cookie, token } = await loginForm();
      const res = await post(fields(token), cookie).expect(403);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toMatch(/<title>Form expired · nest-sessions demo<\/title>/);
      expect(res.text).toContain('<a href="/lousy-login/">Open the form again</a>');
      expect(res.text).toContain('<a href="/">Home</a>');
      expect(setCookies(res)).toHaveLength(0);
      expect(await t.rows()).toHaveLength(0);
    });

    it('answers a post from a browser that blocks cookies with a page saying cookies are needed', async () => {
      const { token } = await loginForm();
      // No Cookie header at all: the browser kept neither the CSRF cookie nor a session.
      const res = await post({ username: 'root', password: 'pass', csrfmiddlewaretoken: token }).expect(403);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toMatch(/<title>Cookies needed · nest-sessions demo<\/title>/);
      expect(res.text).toMatch(/<h1>Cookies are needed<\/h1>/);
      expect(res.text).toContain('<a href="/">Home</a>');
      expect(res.text).not.toMatch(/reload|statusCode/);
      expect(setCookies(res)).toHaveLength(0);
      expect(await t.rows()).toHaveLength(0);
    });

    it.each([
      ['a wrong password', { username: 'root', password: 'nope' }],
      ['a wrong user', { username: 'admin', password: 'pass' }],
      ['empty fields', { username: '', password: '' }],
    ])('shows the error once above the form for %s, and writes no session', async (_name, fields) => {
      const { cookie, token } = await loginForm();
      const res = await post({ ...fields, csrfmiddlewaretoken: token }, cookie).expect(200);
      expect(res.text.split('Error wrong username/password')).toHaveLength(2);
      expect(res.text.indexOf('Error wrong username/password')).toBeLessThan(res.text.indexOf('<form'));
      expect(setCookies(res)).toHaveLength(0);
      expect(await t.rows()).toHaveLength(0);
      const next = await t.http().get('/lousy-login/').set('Cookie', cookie).expect(200);
      expect(next.text).not.toContain('Error wrong username/password');
    });

    it('logs in with a new key, shows the secret page, and logs out for good', async () => {
      const before = sessionCookie(await t.http().get('/save-session-data/')).value;
      const { cookie, token } = await loginForm();
      const login = await post(
        { username: 'root', password: 'pass', csrfmiddlewaretoken: token },
        `${cookie}; ${withKey(before)}`,
      ).expect(302);
      expect(login.headers.location).toBe('/lousy-secret/');
      const after = sessionCookie(login).value;
      expect(after).not.toBe(before);

      const secret = await t.http().get('/lousy-secret/').set('Cookie', withKey(after)).expect(200);
      expect(secret.text).toContain('This is a secret page');
      expect(secret.text).toContain('href="/lousy-logout/"');
      expect(secret.text).toMatch(/<title>Secret · nest-sessions demo<\/title>[\s\S]*<a href="\/">Home<\/a>/);
      const stale = await t.http().get('/lousy-secret/').set('Cookie', withKey(before)).expect(302);
      expect(stale.headers.location).toBe('/lousy-login/');

      const logout = await t.http().get('/lousy-logout/').set('Cookie', withKey(after)).expect(200);
      expect(logout.text).toContain('You have been logged out');
      expect(logout.text).toMatch(/<title>Logout · nest-sessions demo<\/title>[\s\S]*<a href="\/">Home<\/a>/);
      expect(sessionCookie(logout).attributes['max-age']).toBe('0');
      await t.http().get('/lousy-secret/').set('Cookie', withKey(after)).expect(302);
      expect(await t.rows()).toHaveLength(0);
    });

    it('logout without a login goes to the login form', async () => {
      const res = await t.http().get('/lousy-logout/').expect(302);
      expect(res.headers.location).toBe('/lousy-login/');
    });
  });

  describe('the bench routes', () => {
    it('put sets one key, get returns the whole session', async () => {
      await t.http().get('/bench/get').expect(200, {});
      const key = sessionCookie(await t.http().get('/bench/put?k=color&v=blue').expect(200, 'ok')).value;
      await t.http().get('/bench/put?k=size&v=9').set('Cookie', withKey(key)).expect(200, 'ok');
      await t.http().get('/bench/get').set('Cookie', withKey(key)).expect(200, { color: 'blue', size: '9' });
    });

    it.each([
      '/bench/put?k=logged_in&v=1',
      '/bench/put?k=testcookie&v=worked',
      '/bench/put?k=_session_expiry&v=1',
      '/bench/put?k=_auth_user_id&v=root',
      '/bench/put?k=_anything_of_the_library&v=1',
      '/bench/put?k=passport&v=root',
      '/bench/put?k=flash&v=x',
      '/bench/put?v=1',
      '/bench/put?k=a',
      '/bench/put?k=a&k=b&v=1',
    ])('refuses %s with a 400', async (path) => {
      const res = await t.http().get(path).expect(400);
      expect(setCookies(res)).toHaveLength(0);
    });
  });

  describe('bad requests get short 4xx answers', () => {
    it('a form body over the size limit: 413', async () => {
      const res = await t
        .http()
        .post('/lousy-login/')
        .type('form')
        .send(`username=${'x'.repeat(2_000_000)}`);
      expect(res.status).toBe(413);
      expect(res.text).not.toMatch(/\bat \S+\.(js|ts):\d+/);
    });

    it('a malformed JSON body: 400', async () => {
      const res = await t.http().post('/lousy-login/').set('Content-Type', 'application/json').send('{"username":');
      expect(res.status).toBe(400);
      expect(res.text).not.toMatch(/\bat \S+\.(js|ts):\d+/);
    });

    it('a malformed form body: 403 for the missing token, no crash', async () => {
      const res = await t.http().post('/lousy-login/').type('form').send('%E0%A4%A&&==&username[=1');
      expect(res.status).toBe(403);
    });

    it('an unknown method: 404', async () => {
      const res = await t.http().delete('/lousy-login/');
      expect(res.status).toBe(404);
    });
  });
});

describe('the blog demo with configured credentials', () => {
  it('accepts those and no longer root/pass', async () => {
    const t = await createBlogApp(testDatabases()[0], { username: 'alice', password: 'wonderland' });
    try {
      const form = await t.http().get('/lousy-login/').expect(200);
      const { cookie, token } = csrfFrom(form);
      const send = (username: string, password: string) =>
        t
          .http()
          .post('/lousy-login/')
          .type('form')
          .set('Cookie', cookie)
          .send({ username, password, csrfmiddlewaretoken: token });
      await send('root', 'pass').expect(200, /Error wrong username\/password/);
      const ok = await send('alice', 'wonderland').expect(302);
      expect(ok.headers.location).toBe('/lousy-secret/');
    } finally {
      await t.close();
    }
  });
});
