import { randomBytes } from 'node:crypto';
import type { SessionStore } from './session-store.interface.js';
import { DEFAULT_COOKIE_AGE, MIN_SECRET_LENGTH } from './session.constants.js';

/** The `SameSite` attribute of the session cookie; `false` leaves the attribute out. */
export type CookieSameSite = 'Lax' | 'Strict' | 'None' | false;

/**
 * Options of `SessionModule.forRoot()`. Each maps one of Django's settings; defaults are
 * Django's.
 */
export interface SessionModuleOptions {
  /**
   * Signs stored session data (Django's `SECRET_KEY`). Required, at least 32 characters, unless
   * `NODE_ENV` is `development` or `test`, where a random per-process secret is used instead.
   */
  secret?: string;
  /** Former secrets that still verify stored data (Django's `SECRET_KEY_FALLBACKS`). Default `[]`. */
  secretFallbacks?: string[];
  /** Name of the session cookie (`SESSION_COOKIE_NAME`). Default `'sessionid'`. */
  cookieName?: string;
  /** Lifetime of a session in seconds (`SESSION_COOKIE_AGE`). Default `1209600` (two weeks). */
  cookieAge?: number;
  /** `Domain` of the cookie (`SESSION_COOKIE_DOMAIN`). Default none: the request's host only. */
  cookieDomain?: string;
  /** `Path` of the cookie (`SESSION_COOKIE_PATH`). Default `'/'`. */
  cookiePath?: string;
  /** Send the cookie over HTTPS only (`SESSION_COOKIE_SECURE`). Default `false`. */
  cookieSecure?: boolean;
  /** Hide the cookie from scripts (`SESSION_COOKIE_HTTPONLY`). Default `true`. */
  cookieHttpOnly?: boolean;
  /** `SameSite` of the cookie (`SESSION_COOKIE_SAMESITE`). Default `'Lax'`. */
  cookieSameSite?: CookieSameSite;
  /**
   * Cookies without `Max-Age`/`Expires`, gone when the browser closes
   * (`SESSION_EXPIRE_AT_BROWSER_CLOSE`); rows still expire after `cookieAge`. Default `false`.
   */
  expireAtBrowserClose?: boolean;
  /** Save every non-empty session and re-send its cookie on every request (`SESSION_SAVE_EVERY_REQUEST`). Default `false`. */
  saveEveryRequest?: boolean;
  /**
   * Run `clearExpired()` in the server every this many seconds (Django leaves this to a cron
   * job running `clearsessions`). Default: off.
   */
  clearExpiredEvery?: number;
  /**
   * Largest session a save accepts, in bytes of its JSON; a bigger one is refused (413) and
   * nothing is stored. Default 65536.
   */
  maxDataSize?: number;
  /**
   * Milliseconds a store operation may take before the request gets a 503 instead of waiting
   * (for a database that stopped answering). Default 5000.
   */
  storeTimeout?: number;
  /**
   * Milliseconds the app's shutdown waits for responses whose sessions are still being
   * committed (a handler still running after its client hung up, a save under way) before the
   * store's connection closes; `0` does not wait. Default 10000.
   */
  shutdownTimeout?: number;
  /**
   * Where sessions are kept. Default: a `TypeOrmSessionStore` on the application's default
   * TypeORM data source (for a named one, pass `new TypeOrmSessionStore(dataSource)`).
   */
  store?: SessionStore;
}

/** {@link SessionModuleOptions} with every default filled in and every value checked. */
export interface ResolvedSessionOptions
  extends Required<Omit<SessionModuleOptions, 'cookieDomain' | 'store' | 'clearExpiredEvery'>> {
  cookieDomain: string | undefined;
  clearExpiredEvery: number | undefined;
  store: SessionStore | undefined;
  /** True when `secret` was missing and a random one was made for this process. */
  secretIsEphemeral: boolean;
}

/** Thrown at start for options that cannot work; the message says what to set. */
export class SessionConfigError extends Error {
  override name = 'SessionConfigError';
}

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
        `${MIN_SECRET_LENGTH} characters as \`secret\` (for the demo server: SESSION_SECRET, e.g. ` +
        `from \`openssl rand -hex 32\`), or set NODE_ENV=development to run with a throw-away secret.`,
    );
  }
  const resolved: ResolvedSessionOptions = {
    secret: secretProblem ? makeEphemeralSecret() : options.secret!,
    secretIsEphemeral: Boolean(secretProblem),
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
  const every = options.clearExpiredEvery;
  if (every !== undefined && !(Number.isFinite(every) && every > 0)) {
    throw new SessionConfigError(`SessionModule: clearExpiredEvery must be a number of seconds above 0, got ${every}.`);
  }
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(options.cookieName)) {
    throw new SessionConfigError(
      `SessionModule: cookieName "${options.cookieName}" is not a valid cookie name.`,
    );
  }
  if (!SAME_SITE_VALUES.includes(options.cookieSameSite)) {
    throw new SessionConfigError(
      `SessionModule: cookieSameSite must be 'Lax', 'Strict', 'None' or false, got ${String(options.cookieSameSite)}.`,
    );
  }
  for (const [name, value] of [['cookiePath', options.cookiePath], ['cookieDomain', options.cookieDomain]]) {
    if (value !== undefined && /[;\r\n]/.test(value)) {
      throw new SessionConfigError(`SessionModule: ${name} must not contain ';' or line breaks.`);
    }
  }
}

function defaultEphemeralSecret(): string {
  return randomBytes(32).toString('hex');
}
