import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { RedirectException } from '../redirect.js';
import { PASSPORT_LOGIN_PATH } from './passport-paths.js';

export const LOGIN_ERROR = 'Error wrong username/password';

/**
 * Checks the form's credentials with passport-local, then logs the user in with passport's
 * `req.logIn()` (which regenerates the session: a new key). Wrong or missing credentials go
 * back to the form, with the error as a flash message that shows once.
 */
@Injectable()
export class PassportLoginGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    await super.logIn(context.switchToHttp().getRequest());
    return true;
  }

  override handleRequest<User>(error: unknown, user: User | false, _info: unknown, context: ExecutionContext): User {
    if (error) throw error instanceof Error ? error : new Error('passport-local failed');
    if (!user) {
      context.switchToHttp().getRequest<Request>().flash('error', LOGIN_ERROR);
      throw new RedirectException(PASSPORT_LOGIN_PATH);
    }
    return user;
  }
}
