import { resolveSessionOptions } from './resolve-session-options.js';
import { SessionConfigError } from '../session.errors.js';
import type { CookieSameSite } from './session-options.js';
import { ephemeralSecretWarning } from '../session.providers.js';

const GOOD_SECRET = 'g'.repeat(32);
const ephemeral = () => 'ephemeral-secret';

function configError(run: () => unknown): SessionConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionConfigError);
    return error as SessionConfigError;
  }
  throw new Error('expected a SessionConfigError');
}

describe('resolveSessionOptions', () => {
  it("fills in Django's defaults", () => {
    expect(resolveSessionOptions({ secret: GOOD_SECRET }, 'production', ephemeral)).toMatchObject({
      cookieName: 'sessionid',
      cookieAge: 1209600,
      cookiePath: '/',
      cookieDomain: undefined,
      cookieSecure: false,
      cookieHttpOnly: true,
      cookieSameSite: 'Lax',
      expireAtBrowserClose: false,
      saveEveryRequest: false,
      secretFallbacks: [],
    });
  });

  it('keeps a good secret', () => {
    const resolved = resolveSessionOptions({ secret: GOOD_SECRET }, 'production', ephemeral);
    expect(resolved.secret).toBe(GOOD_SECRET);
    expect(resolved.secretIsEphemeral).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['10 characters long', 'x'.repeat(10)],
    ['31 characters long', 'x'.repeat(31)],
  ])('refuses a secret %s in production, saying what to set', (_label, secret) => {
    const error = configError(() => resolveSessionOptions({ secret }, 'production', ephemeral));
    expect(error.message).toContain('secret');
    expect(error.message).toContain('as `secret`');
    expect(error.message).toContain('32');
  });

  it('refuses a missing secret when NODE_ENV is unset', () => {
    const saved = process.env.NODE_ENV;
    delete process.env.NODE_ENV;
    try {
      configError(() => resolveSessionOptions({}, undefined, ephemeral));
      configError(() => resolveSessionOptions({}));
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });

  it.each(['development', 'test'])('uses a throw-away secret in %s', (env) => {
    const resolved = resolveSessionOptions({}, env, ephemeral);
    expect(resolved.secret).toBe('ephemeral-secret');
    expect(resolved.secretIsEphemeral).toBe(true);
  });

  it('says what was wrong with a secret it replaced: missing, or too short', () => {
    expect(resolveSessionOptions({}, 'development', ephemeral).secretProblem).toBe('is not set');
    expect(resolveSessionOptions({ secret: 'short' }, 'development', ephemeral).secretProblem).toBe(
      'is only 5 characters long',
    );
    expect(ephemeralSecretWarning('is not set')).toMatch(/^No session secret set: /);
    expect(ephemeralSecretWarning('is only 5 characters long')).toMatch(
      /^The session secret is only 5 characters long \(at least 32 are needed\): using a random one/,
    );
  });

  it('makes a random throw-away secret by default', () => {
    const a = resolveSessionOptions({}, 'development').secret;
    const b = resolveSessionOptions({}, 'development').secret;
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(a).not.toBe(b);
  });

  it.each([0, -1, 1.5, NaN])('refuses cookieAge %p', (cookieAge) => {
    configError(() => resolveSessionOptions({ secret: GOOD_SECRET, cookieAge }, 'production'));
  });

  it.each(['a b', 'a;b', '', 'a=b'])('refuses cookieName %p', (cookieName) => {
    configError(() => resolveSessionOptions({ secret: GOOD_SECRET, cookieName }, 'production'));
  });

  it.each(['lax', 'strict', 'none', true])('refuses cookieSameSite %p', (value) => {
    const cookieSameSite = value as unknown as CookieSameSite;
    configError(() => resolveSessionOptions({ secret: GOOD_SECRET, cookieSameSite }, 'production'));
  });

  it.each(['Lax', 'Strict', 'None', false] as const)('accepts cookieSameSite %p', (cookieSameSite) => {
    expect(resolveSessionOptions({ secret: GOOD_SECRET, cookieSameSite }, 'production').cookieSameSite).toBe(
      cookieSameSite,
    );
  });

  it('waits 10 s for saves in flight at shutdown, and takes 0 for not waiting', () => {
    expect(resolveSessionOptions({ secret: GOOD_SECRET }, 'production').shutdownTimeout).toBe(10_000);
    expect(resolveSessionOptions({ secret: GOOD_SECRET, shutdownTimeout: 0 }, 'production').shutdownTimeout).toBe(0);
  });

  it.each([-1, 1.5, NaN, Infinity])('refuses shutdownTimeout %p', (shutdownTimeout) => {
    const error = configError(() => resolveSessionOptions({ secret: GOOD_SECRET, shutdownTimeout }, 'production'));
    expect(error.message).toContain('shutdownTimeout');
  });

  it('leaves the absolute timeout off by default', () => {
    expect(resolveSessionOptions({ secret: GOOD_SECRET }, 'production', ephemeral).absoluteTimeout).toBeUndefined();
  });

  it('renews no key by default, and gives a renewed key 60 s of grace', () => {
    const resolved = resolveSessionOptions({ secret: GOOD_SECRET }, 'production', ephemeral);
    expect([resolved.renewAfter, resolved.renewGrace]).toEqual([undefined, 60]);
  });

  it.each(['renewAfter', 'renewGrace', 'touchAfter'] as const)(
    'refuses a %s that is no whole number of seconds',
    (name) => {
      const error = configError(() =>
        resolveSessionOptions({ secret: GOOD_SECRET, saveEveryRequest: true, [name]: 0.5 }, 'production', ephemeral),
      );
      expect(error.message).toContain(name);
    },
  );

  it.each([0, -5, 1.5, NaN, Infinity])('refuses absoluteTimeout %p', (absoluteTimeout) => {
    const error = configError(() =>
      resolveSessionOptions({ secret: GOOD_SECRET, absoluteTimeout }, 'production', ephemeral),
    );
    expect(error.message).toMatch(/absoluteTimeout must be a whole number of seconds above 0/);
  });

  it('refuses a cookiePath or cookieDomain with a semicolon', () => {
    configError(() => resolveSessionOptions({ secret: GOOD_SECRET, cookiePath: '/;x' }, 'production'));
    configError(() => resolveSessionOptions({ secret: GOOD_SECRET, cookieDomain: 'a.com;x' }, 'production'));
  });

  it('keeps valid custom cookie settings', () => {
    const resolved = resolveSessionOptions(
      { secret: GOOD_SECRET, cookieName: '__Host-sid', cookieAge: 60, cookiePath: '/app', cookieDomain: 'a.com' },
      'production',
    );
    expect(resolved).toMatchObject({
      cookieName: '__Host-sid',
      cookieAge: 60,
      cookiePath: '/app',
      cookieDomain: 'a.com',
    });
  });
});
