import { createHmac, randomBytes } from 'node:crypto';
import {
  Catch,
  ForbiddenException,
  Inject,
  Injectable,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { parse as parseCookies } from 'cookie';
import { doubleCsrf, type DoubleCsrfUtilities } from 'csrf-csrf';
import type { CookieOptions, Request, Response } from 'express';
import { BLOG_OPTIONS, type BlogModuleOptions } from './blog.module-definition.js';
import { pathOf, type DemoRequest, type DemoResponse } from './platform.js';

/** Django's names for the token's cookie and form field. */
export const CSRF_COOKIE = 'csrftoken';
export const CSRF_FIELD = 'csrfmiddlewaretoken';
const ONE_YEAR_MS = 31_449_600_000;

/** Whose form a token is for: anyone's (a login form, before any session), or the session's. */
export type CsrfScope = 'visitor' | 'session';

/**
 * The forms' CSRF tokens: the signed double-submit cookie of csrf-csrf, as OWASP recommends. The
 * token, in a `csrftoken` cookie of its own and echoed by every form in a hidden field, carries an
 * HMAC of a random value under the server's secret, so it cannot be forged without the secret.
 * The forms of a logged-in session (`'session'`) also bind it to the session cookie's value: a
 * token taken from another browser, or from before a login changed the key, does not pass. A
 * login form (`'visitor'`) comes before any session, and is bound to none. Nothing is stored on
 * the server, so showing a form creates no session.
 */
@Injectable()
export class CsrfTokens {
  private readonly scopes: Record<CsrfScope, DoubleCsrfUtilities>;

  constructor(
    @Inject(BLOG_OPTIONS) options: BlogModuleOptions,
    private readonly http: HttpAdapterHost,
  ) {
    // Its own key, derived from the app's secret; a random one (forms of this process only) without.
    const secret = options.secret
      ? createHmac('sha256', options.secret).update('nest-sessions demo CSRF').digest('hex')
      : randomBytes(32).toString('hex');
    const sessionCookie = options.sessionCookieName ?? 'sessionid';
    const scope = (getSessionIdentifier: (req: Request) => string) =>
      doubleCsrf({
        getSecret: () => secret,
        getSessionIdentifier,
        cookieName: CSRF_COOKIE,
        cookieOptions: { sameSite: 'lax', secure: options.secureCookies ?? false, httpOnly: true, path: '/' },
        getCsrfTokenFromRequest: (req) => {
          const value = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
          return typeof value === 'string' ? value : undefined;
        },
      });
    this.scopes = {
      visitor: scope(() => ''),
      session: scope((req) => `session:${cookiesOf(req)[sessionCookie] ?? ''}`),
    };
  }

  /** The token for a form on `req`'s page, its cookie set (or kept) on `res`. */
  issue(req: DemoRequest, res: DemoResponse, scope: CsrfScope = 'visitor'): string {
    return this.scopes[scope].generateCsrfToken(withCookies(req), this.cookieWriter(res), {
      cookieOptions: { maxAge: ONE_YEAR_MS },
    });
  }

  /** Whether `req` (a form post) carries the token of its cookie, signed for `scope`. */
  check(req: DemoRequest, scope: CsrfScope = 'visitor'): boolean {
    return this.scopes[scope].validateRequest(withCookies(req));
  }

  /**
   * The one part of an Express response csrf-csrf calls, `res.cookie()` (`maxAge` in ms), on
   * `res` of either platform, through Nest's adapter (`maxAge` in seconds, as in the header).
   */
  private cookieWriter(res: DemoResponse): Response {
    const cookie = (name: string, value: string, { maxAge, sameSite, path, secure, httpOnly }: CookieOptions) => {
      this.http.httpAdapter.setCookie(res, name, value, {
        path,
        secure,
        httpOnly,
        // Express's reading of a flag: `true` is strict.
        sameSite: sameSite === true ? 'strict' : sameSite || undefined,
        ...(maxAge !== undefined && { maxAge: Math.floor(maxAge / 1000), expires: new Date(Date.now() + maxAge) }),
      });
    };
    return { cookie } as unknown as Response;
  }
}

/** `req` as csrf-csrf reads it: its method, headers, body and `cookies`, parsed here when no cookie parser ran. */
function withCookies(req: DemoRequest): Request {
  cookiesOf(req);
  return req as Request;
}

function cookiesOf(req: DemoRequest): Record<string, string | undefined> {
  return ((req as { cookies?: Record<string, string | undefined> }).cookies ??= req.headers.cookie
    ? parseCookies(req.headers.cookie)
    : {});
}

/** A form post the CSRF check refused; `cookieMissing` when the browser sent no token cookie at all. */
export class CsrfFailedException extends ForbiddenException {
  constructor(readonly cookieMissing: boolean) {
    super(cookieMissing ? 'CSRF check failed: no CSRF cookie.' : 'CSRF check failed: the form token does not match.');
  }
}

/** Refuses (403) a login form's post whose hidden token is missing, forged, or not its cookie's. */
@Injectable()
export class CsrfGuard implements CanActivate {
  protected readonly scope: CsrfScope = 'visitor';

  constructor(private readonly tokens: CsrfTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<DemoRequest>();
    if (this.tokens.check(req, this.scope)) return true;
    throw new CsrfFailedException(cookiesOf(req)[CSRF_COOKIE] === undefined);
  }
}

/** {@link CsrfGuard} for the forms of a logged-in session: the token must also be this session's. */
@Injectable()
export class SessionCsrfGuard extends CsrfGuard {
  protected override readonly scope: CsrfScope = 'session';
}

/** The page holding the form of a post route, where it is not the route itself. */
const FORM_PAGES: Record<string, string> = {
  '/passport/logout/': '/passport/profile/',
  '/sessions/revoke/': '/sessions/',
  '/sessions/revoke-others/': '/sessions/',
};

/**
 * Answers a refused form post with a page (403) for people: when the browser sent no cookie, that
 * cookies are needed; otherwise that the form is stale. Both lead back to the form.
 */
@Catch(CsrfFailedException)
export class CsrfFailedFilter implements ExceptionFilter {
  constructor(private readonly http: HttpAdapterHost) {}

  async catch(exception: CsrfFailedException, host: ArgumentsHost): Promise<void> {
    const { httpAdapter } = this.http;
    const path = pathOf(httpAdapter.getRequestUrl(host.switchToHttp().getRequest()) as string);
    const res = host.switchToHttp().getResponse<DemoResponse>();
    httpAdapter.status(res, 403);
    await httpAdapter.render(res, 'csrf_failed', {
      title: exception.cookieMissing ? 'Cookies needed' : 'Form expired',
      cookieMissing: exception.cookieMissing,
      form: FORM_PAGES[path] ?? path,
    });
  }
}
