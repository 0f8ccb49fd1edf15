import { Controller, Get, Header, Render } from '@nestjs/common';
import { Session } from '../session/index.js';
import type { BlogSession } from './blog-session.js';

/** The tutorial's answers are bits of HTML: Express says so by itself, Fastify only when told. */
const Html = () => Header('Content-Type', 'text/html; charset=utf-8');

const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The tutorial's first views: the test cookie, and saving, reading and deleting session data. */
@Controller()
export class SessionViewsController {
  /** Links to every flow; it never touches the session. */
  @Get()
  @Render('home')
  home() {
    return { title: 'Home' };
  }

  @Get('test-session')
  @Html()
  testSession(@Session() session: BlogSession) {
    session.setTestCookie();
    return 'Testing session cookie';
  }

  @Get('test-delete')
  @Html()
  testDelete(@Session() session: BlogSession) {
    if (!session.testCookieWorked()) return 'Cookie test failed';
    session.deleteTestCookie();
    return 'Cookie test passed';
  }

  @Get('save-session-data')
  @Html()
  saveSessionData(@Session() session: BlogSession) {
    session.set('id', 1).set('name', 'root').set('password', 'rootpass');
    return 'Session Data Saved';
  }

  @Get('access-session-data')
  @Html()
  accessSessionData(@Session() session: BlogSession) {
    const lines = (
      [
        ['id', 'Id'],
        ['name', 'Name'],
        ['password', 'Password'],
      ] as const
    )
      .filter(([key]) => session.has(key))
      .map(([key, label]) => `${label} : ${escapeHtml(session.get(key))} <br>`);
    return lines.length ? lines.join('') : 'No session data';
  }

  @Get('delete-session-data')
  @Html()
  deleteSessionData(@Session() session: BlogSession) {
    for (const key of ['id', 'name', 'password'] as const) session.delete(key);
    return 'Session Data cleared';
  }
}
