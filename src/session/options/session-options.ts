import type { UserIdOf } from '../dictionary/session-user.js';
import type { SessionStore } from '../stores/session-store.interface.js';

/**
 * The `SameSite` attribute of the session cookie; `false` leaves the attribute out.
 * @public
 */
export type CookieSameSite = 'Lax' | 'Strict' | 'None' | false;

/**
 * Options of `SessionModule.forRoot()`. Each maps one of Django's settings; defaults are
 * Django's.
 * @public
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
   * With `saveEveryRequest`: seconds within which a request that changed nothing does not refresh
   * the row again (its expiry, last activity and cookie), so that a rolling session read N times
   * in that span costs N reads and at most one write (connect-mongo's `touchAfter`). Default:
   * off, every request refreshes.
   */
  touchAfter?: number;
  /**
   * Seconds after its key was issued (at the start, a login or the last renewal) when a session
   * gets a new key, data kept, on its next request: OWASP's renewal timeout. The old key keeps
   * working for `renewGrace`, so that requests in flight and other tabs are not logged out (they
   * get the new cookie); then it is dead. Needs a store with `renew()`. Default: off.
   */
  renewAfter?: number;
  /** Seconds the key a renewal replaced keeps working. Default 60. */
  renewGrace?: number;
  /**
   * Seconds after a session began (created, or its key cycled by a login) when it ends, however
   * active it is: OWASP's absolute timeout. Its row and cookie never outlive it. Default: off.
   */
  absoluteTimeout?: number;
  /**
   * Which user a session belongs to, from its data, for the sessions of a user
   * (`SessionsService.listForUser()`, revocation). Default: the id given to `bindUser()`, else
   * passport's serialized user (`passport.user`) when it is a string or a number.
   */
  userIdOf?: UserIdOf;
  /**
   * Where sessions are kept. Default: a `TypeOrmSessionStore` on the application's default
   * TypeORM data source (for a named one, pass `new TypeOrmSessionStore(dataSource)`).
   */
  store?: SessionStore;
}

/** {@link SessionModuleOptions} with every default filled in and every value checked. */
export interface ResolvedSessionOptions extends Required<
  Omit<
    SessionModuleOptions,
    'cookieDomain' | 'store' | 'clearExpiredEvery' | 'absoluteTimeout' | 'touchAfter' | 'renewAfter'
  >
> {
  renewAfter: number | undefined;
  touchAfter: number | undefined;
  cookieDomain: string | undefined;
  clearExpiredEvery: number | undefined;
  absoluteTimeout: number | undefined;
  store: SessionStore | undefined;
  /** True when `secret` was missing or too short and a random one was made for this process. */
  secretIsEphemeral: boolean;
  /** What was wrong with the `secret` given, when a random one replaced it ("is not set", …). */
  secretProblem: string | undefined;
}
