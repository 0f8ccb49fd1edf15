import { Body, Controller, Get, HttpCode, Inject, Post, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { Session } from '../session/index.js';
import { BLOG_OPTIONS, type BlogModuleOptions } from './blog.module-definition.js';
import { LOGIN_PATH, SECRET_PATH, type BlogSession } from './blog-session.js';
import { credentialMatches } from './credentials.js';
import { CsrfFailedFilter, CsrfGuard, CsrfTokens, CSRF_FIELD } from './csrf.js';
import { LoggedInGuard } from './logged-in.guard.js';
import type { DemoRequest, DemoResponse } from './platform.js';
import { RedirectException, RedirectFilter } from './redirect.js';

/** The form the login page posts. */
interface LoginForm {
  username?: unknown;
  password?: unknown;
}

/**
 * The tutorial's "lousy login": a form, a secret page behind a guard, and a logout. Login
 * changes the session key (against fixation); logout ends the session.
 */
@Controller()
@UseFilters(RedirectFilter, CsrfFailedFilter)
export class LousyLoginController {
  private readonly username: string;
  private readonly password: string;

  constructor(
    @Inject(BLOG_OPTIONS) options: BlogModuleOptions,
    private readonly csrf: CsrfTokens,
  ) {
    this.username = options.username ?? 'root';
    this.password = options.password ?? 'pass';
  }

  @Get('lousy-login')
  @Render('lousy_login')
  form(@Req() req: DemoRequest, @Res({ passthrough: true }) res: DemoResponse) {
    return { title: 'Login', csrfField: CSRF_FIELD, csrfToken: this.csrf.issue(req, res) };
  }

  @Post('lousy-login')
  @HttpCode(200)
  @UseGuards(CsrfGuard)
  @Render('lousy_login')
  login(
    @Body() form: LoginForm,
    @Session() session: BlogSession,
    @Req() req: DemoRequest,
    @Res({ passthrough: true }) res: DemoResponse,
  ) {
    // Both compared, always: the time taken says nothing about which one was wrong.
    const userOk = credentialMatches(form?.username, this.username);
    const passwordOk = credentialMatches(form?.password, this.password);
    if (userOk && passwordOk) {
      session.cycleKey();
      session.set('logged_in', true);
      session.bindUser(this.username);
      throw new RedirectException(SECRET_PATH);
    }
    return {
      title: 'Login',
      csrfField: CSRF_FIELD,
      csrfToken: this.csrf.issue(req, res),
      error: 'Error wrong username/password',
    };
  }

  @Get('lousy-secret')
  @UseGuards(LoggedInGuard)
  @Render('lousy_secret_page')
  secret() {
    return { title: 'Secret' };
  }

  @Get('lousy-logout')
  @Render('lousy_logout')
  logout(@Session() session: BlogSession) {
    if (session.get('logged_in') !== true) throw new RedirectException(LOGIN_PATH);
    session.flush();
    return { title: 'Logout' };
  }
}
