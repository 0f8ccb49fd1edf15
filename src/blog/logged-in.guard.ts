import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { loadSession } from '../session/index.js';
import { LOGIN_PATH, type BlogData } from './blog-session.js';
import { RedirectException } from './redirect.js';

/** Lets logged-in sessions through; sends everyone else to the login form. */
@Injectable()
export class LoggedInGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await loadSession<BlogData>(context);
    if (session.get('logged_in') === true) return true;
    throw new RedirectException(LOGIN_PATH);
  }
}
