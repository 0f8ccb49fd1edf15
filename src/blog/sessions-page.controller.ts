import { Body, Controller, Get, HttpCode, Post, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { Session, SessionsService, SESSION_USER_KEY } from '../session/index.js';
import { LOGIN_PATH, type BlogSession } from './blog-session.js';
import { CsrfFailedFilter, CsrfTokens, CSRF_FIELD, SessionCsrfGuard } from './csrf.js';
import type { DemoRequest, DemoResponse } from './platform.js';
import { RedirectException, RedirectFilter } from './redirect.js';

const SESSIONS_PATH = '/sessions/';

/** A time as the page shows it: `2026-12-02 14:05 UTC`. */
const shown = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The user a session is logged in as, through either login; `undefined` when none. */
function userOf(session: BlogSession): string | undefined {
  const bound = session.get(SESSION_USER_KEY);
  if (typeof bound === 'string') return bound;
  const passport = session.get('passport') as { user?: unknown } | undefined;
  return typeof passport?.user === 'string' ? passport.user : undefined;
}

/**
 * "Where you are logged in": the live sessions of the logged-in user, each revocable, and all
 * but this one at once. The forms' tokens are bound to the session.
 */
@Controller('sessions')
@UseFilters(RedirectFilter, CsrfFailedFilter)
export class SessionsPageController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly csrf: CsrfTokens,
  ) {}

  @Get()
  @Render('sessions')
  async list(@Session() session: BlogSession, @Req() req: DemoRequest, @Res({ passthrough: true }) res: DemoResponse) {
    const user = userOf(session);
    if (!user) throw new RedirectException(LOGIN_PATH);
    const list = await this.sessions.listForUser(user, session);
    return {
      title: 'Your sessions',
      user,
      csrfField: CSRF_FIELD,
      csrfToken: this.csrf.issue(req, res, 'session'),
      sessions: list.map((entry) => ({
        ...entry,
        createdAt: shown(entry.createdAt),
        lastSeenAt: shown(entry.lastSeenAt),
        expiresAt: shown(entry.expiresAt),
        browser: entry.userAgent ?? 'unknown browser',
        address: entry.ip ?? 'unknown address',
      })),
    };
  }

  @Post('revoke')
  @HttpCode(302)
  @UseGuards(SessionCsrfGuard)
  async revoke(@Session() session: BlogSession, @Body() form: { id?: unknown } | undefined) {
    const user = userOf(session);
    if (!user) throw new RedirectException(LOGIN_PATH);
    // An id that is not one of this user's sessions revokes nothing; the page shows what is left.
    await this.sessions.revoke(user, form?.id);
    throw new RedirectException(SESSIONS_PATH);
  }

  @Post('revoke-others')
  @HttpCode(302)
  @UseGuards(SessionCsrfGuard)
  async revokeOthers(@Session() session: BlogSession) {
    const user = userOf(session);
    if (!user) throw new RedirectException(LOGIN_PATH);
    await this.sessions.revokeOthers(user, session);
    throw new RedirectException(SESSIONS_PATH);
  }
}
