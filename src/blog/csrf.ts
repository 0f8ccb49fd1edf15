import { randomBytes } from 'node:crypto';
import { ForbiddenException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
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

/** Refuses (403) a form post whose hidden token is missing or differs from the cookie's. */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const expected = readToken(req);
    const given = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
    if (expected && credentialMatches(given, expected)) return true;
    throw new ForbiddenException('CSRF check failed: reload the form and submit it again.');
  }
}

function readToken(req: Request): string | undefined {
  const value = req.headers.cookie ? parseCookie(req.headers.cookie)[CSRF_COOKIE] : undefined;
  return value && TOKEN.test(value) ? value : undefined;
}
