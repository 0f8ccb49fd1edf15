import { SessionConfigError } from '../session.errors.js';
import { defaultUserIdOf } from '../dictionary/session-user.js';
import { randomBytes } from 'node:crypto';
import type { CookieSameSite, ResolvedSessionOptions, SessionModuleOptions } from './session-options.js';
import { DEFAULT_COOKIE_AGE, MIN_SECRET_LENGTH } from './session.constants.js';

const SAME_SITE_VALUES: readonly CookieSameSite[] = ['Lax', 'Strict', 'None', false];

/**
 * Fills in defaults and refuses unusable options, once at start.
 * @param env `NODE_ENV`, which decides whether a missing secret is tolerated.
 */
export function resolveSessionOptions(
  options: SessionModuleOptions,
  env: string | undefined = process.env.NODE_ENV,
  makeEphemeralSecret: () => string = defaultEphemeralSecret,
): ResolvedSessionOptions {
  const secretProblem = describeSecretProblem(options.secret);
  const tolerant = env === 'development' || env === 'test';
  if (secretProblem && !tolerant) {
    throw new SessionConfigError(
      `SessionModule: the secret ${secretProblem}. Pass a random string of at least ` +
        `${MIN_SECRET_LENGTH} characters as \`secret\` (e.g. from \`openssl rand -hex 32\`), or set ` +
        'NODE_ENV=development to run with a throw-away secret.',
    );
  }
  const resolved: ResolvedSessionOptions = {
    secret: secretProblem ? makeEphemeralSecret() : options.secret!,
    secretIsEphemeral: Boolean(secretProblem),
    secretProblem,
    secretFallbacks: options.secretFallbacks ?? [],
    cookieName: options.cookieName ?? 'sessionid',
    cookieAge: options.cookieAge ?? DEFAULT_COOKIE_AGE,
    cookieDomain: options.cookieDomain || undefined,
    cookiePath: options.cookiePath ?? '/',
    cookieSecure: options.cookieSecure ?? false,
    cookieHttpOnly: options.cookieHttpOnly ?? true,
    cookieSameSite: options.cookieSameSite ?? 'Lax',
    expireAtBrowserClose: options.expireAtBrowserClose ?? false,
    saveEveryRequest: options.saveEveryRequest ?? false,
    clearExpiredEvery: options.clearExpiredEvery,
    maxDataSize: options.maxDataSize ?? 65_536,
    storeTimeout: options.storeTimeout ?? 5_000,
    shutdownTimeout: options.shutdownTimeout ?? 10_000,
    userIdOf: options.userIdOf ?? defaultUserIdOf,
    absoluteTimeout: options.absoluteTimeout,
    touchAfter: options.touchAfter,
    renewAfter: options.renewAfter,
    renewGrace: options.renewGrace ?? 60,
    store: options.store,
  };
  checkCookieOptions(resolved);
  return resolved;
}

function describeSecretProblem(secret: string | undefined): string | undefined {
  if (!secret) return 'is not set';
  if (secret.length < MIN_SECRET_LENGTH) return `is only ${secret.length} characters long`;
  return undefined;
}

function checkCookieOptions(options: ResolvedSessionOptions): void {
  if (!Number.isInteger(options.cookieAge) || options.cookieAge <= 0) {
    throw new SessionConfigError(
      `SessionModule: cookieAge must be a whole number of seconds above 0, got ${options.cookieAge}.`,
    );
  }
  for (const name of ['maxDataSize', 'storeTimeout'] as const) {
    if (!Number.isSafeInteger(options[name]) || options[name] <= 0) {
      throw new SessionConfigError(`SessionModule: ${name} must be a whole number above 0, got ${options[name]}.`);
    }
  }
  if (!Number.isSafeInteger(options.shutdownTimeout) || options.shutdownTimeout < 0) {
    throw new SessionConfigError(
      `SessionModule: shutdownTimeout must be a whole number of milliseconds, 0 or more, got ${options.shutdownTimeout}.`,
    );
  }
  for (const name of ['absoluteTimeout', 'touchAfter', 'renewAfter', 'renewGrace'] as const) {
    const seconds = options[name];
    if (seconds !== undefined && !(Number.isSafeInteger(seconds) && seconds > 0)) {
      throw new SessionConfigError(`SessionModule: ${name} must be a whole number of seconds above 0, got ${seconds}.`);
    }
  }
  if (options.touchAfter !== undefined && !options.saveEveryRequest) {
    throw new SessionConfigError(
      'SessionModule: touchAfter throttles the refreshes of saveEveryRequest; set saveEveryRequest: true as well.',
    );
  }
  const every = options.clearExpiredEvery;
  if (every !== undefined && !(Number.isFinite(every) && every > 0)) {
    throw new SessionConfigError(`SessionModule: clearExpiredEvery must be a number of seconds above 0, got ${every}.`);
  }
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(options.cookieName)) {
    throw new SessionConfigError(`SessionModule: cookieName "${options.cookieName}" is not a valid cookie name.`);
  }
  if (!SAME_SITE_VALUES.includes(options.cookieSameSite)) {
    throw new SessionConfigError(
      `SessionModule: cookieSameSite must be 'Lax', 'Strict', 'None' or false, got ${String(options.cookieSameSite)}.`,
    );
  }
  for (const [name, value] of [
    ['cookiePath', options.cookiePath],
    ['cookieDomain', options.cookieDomain],
  ]) {
    if (value !== undefined && /[;\r\n]/.test(value)) {
      throw new SessionConfigError(`SessionModule: ${name} must not contain ';' or line breaks.`);
    }
  }
}

function defaultEphemeralSecret(): string {
  return randomBytes(32).toString('hex');
}
