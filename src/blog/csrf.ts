import { randomBytes } from 'node:crypto';
import {
  Catch,
  ForbiddenException,
  Injectable,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import { parseCookie } from 'cookie';
import type { Request, Response } from 'express';
import { credentialMatches } from './credentials.js';

/** Django's names for the token's cookie and form field. */
export const CSRF_COOKIE = 'csrftoken';
export const CSRF_FIELD = 'csrfmiddlewaretoken';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const ONE_YEAR = 31_449_600;

/**
 * The double-submit CSRF token, as Django keeps it by default: in a cookie of its own, echoed by
 * every form in a hidden field. Nothing is stored on the server, so showing a form creates no
 * session.
 */
export function csrfToken(req: Request, res: Response): string {
  const current = readToken(req);
  if (current) return current;
  const token = randomBytes(32).toString('base64url');
  res.cookie(CSRF_COOKIE, token, { maxAge: ONE_YEAR * 1000, path: '/', sameSite: 'lax', httpOnly: true });
  return token;
}

/** A form post the CSRF check refused; `cookieMissing` when the browser sent no token cookie at all. */
export class CsrfFailedException extends ForbiddenException {
  constructor(readonly cookieMissing: boolean) {
    super(cookieMissing ? 'CSRF check failed: no CSRF cookie.' : 'CSRF check failed: the form token does not match.');
  }
}

/** Refuses (403) a form post whose hidden token is missing or differs from the cookie's. */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const expected = readToken(req);
    const given = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
    if (expected && credentialMatches(given, expected)) return true;
    throw new CsrfFailedException(expected === undefined);
  }
}

/**
 * Answers a refused form post with a page (403) for people: when the browser sent no cookie, that
 * cookies are needed; otherwise that the form is stale. Both lead back to the form.
 */
@Catch(CsrfFailedException)
export class CsrfFailedFilter implements ExceptionFilter {
  catch(exception: CsrfFailedException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const form = http.getRequest<Request>().path;
    http
      .getResponse<Response>()
      .status(403)
      .render('csrf_failed', {
        title: exception.cookieMissing ? 'Cookies needed' : 'Form expired',
        cookieMissing: exception.cookieMissing,
        form,
      });
  }
}

function readToken(req: Request): string | undefined {
  const value = req.headers.cookie ? parseCookie(req.headers.cookie)[CSRF_COOKIE] : undefined;
  return value && TOKEN.test(value) ? value : undefined;
}
