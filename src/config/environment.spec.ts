import { blogOptionsFrom, EnvironmentError, sessionOptionsFrom, validateEnvironment } from './environment.js';

describe('validateEnvironment', () => {
  it('defaults PORT to 3000 and leaves the rest unset', () => {
    const env = validateEnvironment({});
    expect(env.PORT).toBe(3000);
    expect(env.HTTP_ADAPTER).toBe('express');
    expect(sessionOptionsFrom(env)).toEqual({
      secret: undefined,
      cookieAge: undefined,
      expireAtBrowserClose: undefined,
      saveEveryRequest: undefined,
      cookieSecure: undefined,
      cookieName: undefined,
      absoluteTimeout: undefined,
      touchAfter: undefined,
      renewAfter: undefined,
      renewGrace: undefined,
    });
    expect(blogOptionsFrom(env)).toEqual({
      username: undefined,
      password: undefined,
      secret: undefined,
      sessionCookieName: undefined,
      secureCookies: undefined,
    });
  });

  it('converts numbers and flags, and maps them to the session options', () => {
    const env = validateEnvironment({
      PORT: '8080',
      HTTP_ADAPTER: 'fastify',
      SESSION_SECRET: 's'.repeat(40),
      SESSION_COOKIE_AGE: '3600',
      SESSION_EXPIRE_AT_BROWSER_CLOSE: 'true',
      SESSION_SAVE_EVERY_REQUEST: 'no',
      SESSION_COOKIE_SECURE: '1',
      SESSION_COOKIE_NAME: 'sid',
      SESSION_ABSOLUTE_TIMEOUT: '28800',
      SESSION_TOUCH_AFTER: '300',
      SESSION_RENEW_AFTER: '900',
      SESSION_RENEW_GRACE: '30',
      LOUSY_LOGIN_USERNAME: 'alice',
      LOUSY_LOGIN_PASSWORD: 'wonderland',
    });
    expect(env.PORT).toBe(8080);
    expect(env.HTTP_ADAPTER).toBe('fastify');
    expect(sessionOptionsFrom(env)).toEqual({
      secret: 's'.repeat(40),
      cookieAge: 3600,
      expireAtBrowserClose: true,
      saveEveryRequest: false,
      cookieSecure: true,
      cookieName: 'sid',
      absoluteTimeout: 28800,
      touchAfter: 300,
      renewAfter: 900,
      renewGrace: 30,
    });
    expect(blogOptionsFrom(env)).toEqual({
      username: 'alice',
      password: 'wonderland',
      secret: 's'.repeat(40),
      sessionCookieName: 'sid',
      secureCookies: true,
    });
  });

  it.each([
    ['SESSION_COOKIE_AGE', 'two weeks'],
    ['SESSION_COOKIE_AGE', '0'],
    ['SESSION_COOKIE_AGE', '-5'],
    ['SESSION_COOKIE_AGE', '1.5'],
    ['PORT', '70000'],
    ['SESSION_EXPIRE_AT_BROWSER_CLOSE', 'maybe'],
    ['SESSION_COOKIE_SECURE', 'TRUEISH'],
    ['HTTP_ADAPTER', 'koa'],
    ['HTTP_ADAPTER', 'Fastify'],
    ['SESSION_STORE', 'memcached'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(EnvironmentError);
    expect(() => validateEnvironment({ [name]: value })).toThrow(new RegExp(`^${name} must be .*"${value}"`));
  });
});
