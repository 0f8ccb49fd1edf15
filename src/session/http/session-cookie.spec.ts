import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { SessionCookie, varyOnCookie } from './session-cookie.js';
import { resolveSessionOptions } from '../options/resolve-session-options.js';
import type { SessionModuleOptions } from '../options/session-options.js';

const KEY = 'abcdefghijklmnopqrstuvwxyz012345';
const NOW = new Date('2030-05-06T07:08:09.000Z');
const DELETION = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax';

function cookie(overrides: SessionModuleOptions = {}): SessionCookie {
  return new SessionCookie(resolveSessionOptions({ secret: 'x'.repeat(32), ...overrides }, 'production'));
}

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

function setCookie(overrides: SessionModuleOptions, maxAge: number | undefined): string {
  const res = response();
  cookie(overrides).set(res, KEY, maxAge, NOW);
  return String(res.getHeader('Set-Cookie'));
}

describe('SessionCookie.read', () => {
  const jar = cookie();

  it.each([undefined, '', 'csrftoken=abc', 'theme=dark; lang=en'])('finds nothing in %p', (header) => {
    expect(jar.read(header)).toBeUndefined();
  });

  it('finds the value among several cookies, whatever the spacing', () => {
    expect(jar.read(`a=1;sessionid=${KEY};b=2`)).toBe(KEY);
    expect(jar.read(`a=1 ;   sessionid =  ${KEY}  ; b=2`)).toBe(KEY);
    expect(jar.read(`sessionid=${KEY}`)).toBe(KEY);
  });

  it('strips surrounding double quotes', () => {
    expect(jar.read(`a=1; sessionid="${KEY}"`)).toBe(KEY);
  });

  it('takes the first of duplicate names', () => {
    expect(jar.read(`sessionid=first; sessionid=second`)).toBe('first');
  });

  it('does not match a cookie whose name only contains the name', () => {
    expect(jar.read('xsessionid=a; sessionidx=b')).toBeUndefined();
    expect(jar.read(`xsessionid=a; sessionid=${KEY}`)).toBe(KEY);
  });

  it('skips a bare name without a value, and keeps an "=" inside the value', () => {
    expect(jar.read(`sessionid; sessionid=${KEY}`)).toBe(KEY);
    expect(jar.read('sessionid=a=b;')).toBe('a=b');
    expect(jar.read(`a=1;\tsessionid\t=\t${KEY}\t;`)).toBe(KEY);
    expect(jar.read(';;; sessionid')).toBeUndefined();
  });

  it('returns the empty string for an empty value', () => {
    expect(jar.read('sessionid=')).toBe('');
  });

  it('uses the configured name', () => {
    expect(cookie({ cookieName: 'sid' }).read(`sessionid=a; sid=${KEY}`)).toBe(KEY);
  });
});

describe('SessionCookie.set and delete', () => {
  it('sends the key with expires, Max-Age and the default attributes', () => {
    const expires = new Date(NOW.getTime() + 1209600 * 1000).toUTCString();
    expect(setCookie({}, 1209600)).toBe(
      `sessionid=${KEY}; expires=${expires}; Max-Age=1209600; HttpOnly; Path=/; SameSite=Lax`,
    );
  });

  it('leaves out expires and Max-Age for a browser-session cookie', () => {
    expect(setCookie({}, undefined)).toBe(`sessionid=${KEY}; HttpOnly; Path=/; SameSite=Lax`);
  });

  it('shows the configured attributes', () => {
    const header = setCookie(
      { cookieDomain: 'example.com', cookieSecure: true, cookieSameSite: 'Strict', cookiePath: '/app' },
      60,
    );
    expect(header).toContain('; Domain=example.com');
    expect(header).toContain('; Secure');
    expect(header).toContain('; SameSite=Strict');
    expect(header).toContain('; Path=/app');
  });

  it('leaves out SameSite when false, HttpOnly when disabled, Secure and Domain by default', () => {
    const header = setCookie({ cookieSameSite: false, cookieHttpOnly: false }, 60);
    expect(header).not.toMatch(/SameSite|HttpOnly|Secure|Domain/);
    expect(header).toContain('; Path=/');
  });

  it('deletes with an empty value dated at the epoch', () => {
    const res = response();
    cookie().delete(res);
    expect(res.getHeader('Set-Cookie')).toBe(DELETION);
  });

  it('marks the deletion Secure when SameSite is None', () => {
    const res = response();
    cookie({ cookieSameSite: 'None' }).delete(res);
    expect(res.getHeader('Set-Cookie')).toBe(`${DELETION.replace('Lax', 'None')}; Secure`);
  });

  it("adds to other cookies' Set-Cookie lines, and replaces its own", () => {
    const res = response();
    res.setHeader('Set-Cookie', 'csrftoken=abc; Path=/');
    const jar = cookie();
    jar.set(res, KEY, undefined, NOW);
    expect(res.getHeader('Set-Cookie')).toEqual([
      'csrftoken=abc; Path=/',
      `sessionid=${KEY}; HttpOnly; Path=/; SameSite=Lax`,
    ]);
    // A second save, then an end, in one request: the browser gets the last word only.
    jar.set(res, KEY, 60, NOW);
    jar.delete(res);
    expect(res.getHeader('Set-Cookie')).toEqual(['csrftoken=abc; Path=/', DELETION]);
  });

  it('leaves a cookie whose name only starts like its own', () => {
    const res = response();
    res.setHeader('Set-Cookie', 'sessionid_other=1; Path=/');
    cookie().delete(res);
    expect(res.getHeader('Set-Cookie')).toEqual(['sessionid_other=1; Path=/', DELETION]);
  });
});

describe('varyOnCookie', () => {
  function varyAfter(existing?: string): unknown {
    const res = response();
    if (existing !== undefined) res.setHeader('Vary', existing);
    varyOnCookie(res);
    return res.getHeader('Vary');
  }

  it('sets Vary: Cookie when there is no Vary header', () => {
    expect(varyAfter()).toBe('Cookie');
  });

  it('appends Cookie to an existing Vary header', () => {
    expect(varyAfter('Accept-Encoding')).toBe('Accept-Encoding, Cookie');
  });

  it('does not add Cookie twice, whatever its case', () => {
    expect(varyAfter('Accept-Encoding, cookie')).toBe('Accept-Encoding, cookie');
    expect(varyAfter('COOKIE')).toBe('COOKIE');
  });

  it('leaves Vary: * alone', () => {
    expect(varyAfter('*')).toBe('*');
  });
});
