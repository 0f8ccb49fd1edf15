import type { RequestSession } from '../../dictionary/request-session.js';
import type { ResolvedSessionOptions } from '../../options/session-options.js';
import type { ExpressSessionCookie } from './express-session.types.js';

/**
 * `req.session.cookie`: a view of the session's expiry, in express-session's shape. Setting
 * `maxAge` or `expires` sets the session's own expiry (`setExpiry()`), saved with it.
 */
export class ExpressSessionCookieView implements ExpressSessionCookie {
  constructor(
    private readonly session: RequestSession,
    private readonly options: ResolvedSessionOptions,
  ) {}

  get maxAge(): number | null {
    return this.session.getExpireAtBrowserClose() ? null : Math.max(0, this.session.getExpiryAge()) * 1000;
  }

  set maxAge(ms: number | null) {
    if (ms !== null && !(Number.isFinite(ms) && ms > 0)) {
      throw new TypeError(`req.session.cookie.maxAge must be a positive number of milliseconds or null, got ${ms}`);
    }
    // Whole seconds, as the cookie's Max-Age; 0 is the expiry that ends with the browser.
    this.session.setExpiry(ms === null ? 0 : Math.max(1, Math.round(ms / 1000)));
  }

  get expires(): Date | null {
    return this.session.getExpireAtBrowserClose() ? null : this.session.getExpiryDate();
  }

  set expires(date: Date | null) {
    if (date !== null && !(date instanceof Date && !Number.isNaN(date.getTime()))) {
      throw new TypeError('req.session.cookie.expires must be a valid Date or null');
    }
    this.session.setExpiry(date ?? 0);
  }

  get originalMaxAge(): number | null {
    return this.maxAge;
  }

  get httpOnly(): boolean {
    return this.options.cookieHttpOnly;
  }

  get secure(): boolean {
    return this.options.cookieSecure;
  }

  get sameSite(): 'lax' | 'strict' | 'none' | false {
    const value = this.options.cookieSameSite;
    return value === false ? false : (value.toLowerCase() as 'lax' | 'strict' | 'none');
  }

  get path(): string {
    return this.options.cookiePath;
  }

  get domain(): string | undefined {
    return this.options.cookieDomain;
  }

  toJSON(): Record<string, unknown> {
    const { originalMaxAge, expires, secure, httpOnly, domain, path, sameSite } = this;
    return { originalMaxAge, expires, secure, httpOnly, domain, path, sameSite };
  }
}
