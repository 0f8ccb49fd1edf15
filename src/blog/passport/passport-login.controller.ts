import { Controller, Get, HttpCode, Post, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CsrfFailedFilter, CsrfGuard, CsrfTokens, CSRF_FIELD, SessionCsrfGuard } from '../csrf.js';
import { RedirectException, RedirectFilter } from '../redirect.js';
import type { DemoUser } from './local.strategy.js';
import { PassportLoginGuard } from './passport-login.guard.js';
import { PASSPORT_LOGIN_PATH, PASSPORT_PROFILE_PATH } from './passport-paths.js';

/**
 * The login of most Nest apps: @nestjs/passport with passport-local, on the express-session
 * view of the session (`req.session`), which the module applies to these routes only.
 */
@Controller('passport')
@UseFilters(RedirectFilter, CsrfFailedFilter)
export class PassportLoginController {
  constructor(private readonly csrf: CsrfTokens) {}

  @Get('login')
  @Render('passport_login')
  form(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return {
      title: 'Login with Passport',
      csrfField: CSRF_FIELD,
      csrfToken: this.csrf.issue(req, res),
      // Read only when there are any: connect-flash writes the session even to say "none".
      errors: req.session.flash ? req.flash('error') : [],
      notices: req.session.flash ? req.flash('info') : [],
    };
  }

  @Post('login')
  @HttpCode(302)
  @UseGuards(CsrfGuard, PassportLoginGuard)
  login() {
    throw new RedirectException(PASSPORT_PROFILE_PATH);
  }

  @Get('profile')
  @Render('passport_profile')
  profile(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const user = req.user as DemoUser | undefined;
    if (!user) throw new RedirectException(PASSPORT_LOGIN_PATH);
    const csrfToken = this.csrf.issue(req, res, 'session');
    return { title: 'Profile', username: user.username, csrfField: CSRF_FIELD, csrfToken };
  }

  @Post('logout')
  @UseGuards(SessionCsrfGuard)
  async logout(@Req() req: Request) {
    const loggedIn = req.user !== undefined;
    // passport saves the session without the user, then regenerates it: a new key.
    await new Promise<void>((resolve, reject) => req.logout((error) => (error ? reject(error as Error) : resolve())));
    if (loggedIn) req.flash('info', 'You have been logged out');
    throw new RedirectException(PASSPORT_LOGIN_PATH);
  }
}
