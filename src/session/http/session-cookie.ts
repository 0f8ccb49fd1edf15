import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CookieChange } from '../engine/session-engine.js';
import type { ResponseHeaders } from './platform/response-headers.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session.constants.js';

const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';

/**
 * Reads the session cookie from a request and writes it to a response, with the attributes
 * fixed once from the options.
 */
@Injectable()
export class SessionCookie {
  private readonly logger = new Logger('SessionHandle');
  readonly name: string;
  private readonly attributes: string;
  private readonly deletion: string;
  private lastExpires = { second: NaN, text: '' };

  constructor(@Inject(RESOLVED_SESSION_OPTIONS) options: ResolvedSessionOptions) {
    this.name = options.cookieName;
    const path = `; Path=${options.cookiePath}`;
    const domain = options.cookieDomain ? `; Domain=${options.cookieDomain}` : '';
    const sameSite = options.cookieSameSite ? `; SameSite=${options.cookieSameSite}` : '';
    const secure = options.cookieSecure ? '; Secure' : '';
    const httpOnly = options.cookieHttpOnly ? '; HttpOnly' : '';
    this.attributes = `${domain}${httpOnly}${path}${sameSite}${secure}`;
    // As Django deletes it: no HttpOnly, Secure only where the browser insists on it.
    const deletionSecure = options.cookieSameSite === 'None' || /^__(Secure|Host)-/.test(this.name) ? '; Secure' : '';
    this.deletion = `${this.name}=""${domain}; expires=${EPOCH}; Max-Age=0${path}${sameSite}${deletionSecure}`;
  }

  /**
   * The session cookie's value in a `Cookie` header: the first of that name, without quotes;
   * `undefined` when there is none.
   */
  read(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const name = this.name;
    // A scan rather than split-and-trim: this runs on every request, and allocates nothing but
    // the value it returns.
    for (let start = 0; start < header.length;) {
      let end = header.indexOf(';', start);
      if (end === -1) end = header.length;
      const nameStart = skipOws(header, start, end);
      if (header.startsWith(name, nameStart)) {
        const eq = skipOws(header, nameStart + name.length, end);
        if (header.charCodeAt(eq) === EQUALS) return unquote(trimmed(header, eq + 1, end));
      }
      start = end + 1;
    }
    return undefined;
  }

  /**
   * Sets the cookie to carry a saved key, or deletes it (varying on the cookie), unless the
   * headers are gone already: then a warning, as the response can no longer tell the browser.
   */
  write(res: ResponseHeaders, change: Exclude<CookieChange, undefined>, now = new Date()): void {
    if (res.headersSent) {
      this.logger.warn('Response headers were sent before the session was committed; the cookie was not updated.');
      return;
    }
    if (change !== 'delete') return this.set(res, change.key, change.maxAge, now);
    this.delete(res);
    varyOnCookie(res);
  }

  /** Sends `key`, valid for `maxAge` seconds from `now`, or until the browser closes when `undefined`. */
  set(res: ResponseHeaders, key: string, maxAge: number | undefined, now: Date): void {
    const lifetime =
      maxAge === undefined ? '' : `; expires=${this.expiresText(now.getTime() + maxAge * 1000)}; Max-Age=${maxAge}`;
    putSetCookie(res, this.name, `${this.name}=${key}${lifetime}${this.attributes}`);
  }

  /** The `expires` date of `time` (whole seconds), made once a second rather than once a response. */
  private expiresText(time: number): string {
    const second = Math.floor(time / 1000);
    if (second !== this.lastExpires.second) this.lastExpires = { second, text: new Date(second * 1000).toUTCString() };
    return this.lastExpires.text;
  }

  /** Tells the browser to drop the cookie. */
  delete(res: ResponseHeaders): void {
    putSetCookie(res, this.name, this.deletion);
  }
}

const EQUALS = 0x3d;
const isOws = (code: number) => code === 0x20 || code === 0x09;

/** The first index from `from` (up to `end`) past the spaces and tabs HTTP allows around a pair. */
function skipOws(text: string, from: number, end: number): number {
  while (from < end && isOws(text.charCodeAt(from))) from++;
  return from;
}

/** `text` from `start` to `end`, without the spaces and tabs around it. */
function trimmed(text: string, start: number, end: number): string {
  start = skipOws(text, start, end);
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** A cookie value without the double quotes it may come in. */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** Adds `Cookie` to the response's `Vary` header unless it is there already. */
export function varyOnCookie(res: ResponseHeaders): void {
  if (res.headersSent) return;
  const current = res.getHeader('Vary');
  if (current === undefined) {
    res.setHeader('Vary', 'Cookie');
    return;
  }
  const fields = String(current)
    .split(',')
    .map((field) => field.trim().toLowerCase());
  if (!fields.includes('cookie') && !fields.includes('*')) res.setHeader('Vary', `${String(current)}, Cookie`);
}

/**
 * Adds the `Set-Cookie` line `value` for the cookie `name`, in place of one for it already there
 * (a session saved twice in one request, with express-session's `save()`), keeping the others.
 */
function putSetCookie(res: ResponseHeaders, name: string, value: string): void {
  const current = res.getHeader('Set-Cookie');
  if (current === undefined) return void res.setHeader('Set-Cookie', value);
  const lines = (Array.isArray(current) ? current : [String(current)]).filter((line) => !line.startsWith(`${name}=`));
  res.setHeader('Set-Cookie', lines.length === 0 ? value : [...lines, value]);
}
