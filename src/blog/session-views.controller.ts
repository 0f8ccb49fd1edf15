import { Controller, Get, Render } from '@nestjs/common';
import { Session } from '../session/index.js';
import type { BlogSession } from './blog-session.js';

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
  testSession(@Session() session: BlogSession) {
    session.setTestCookie();
    return 'Testing session cookie';
  }

  @Get('test-delete')
  testDelete(@Session() session: BlogSession) {
    if (!session.testCookieWorked()) return 'Cookie test failed';
    session.deleteTestCookie();
    return 'Cookie test passed';
  }

  @Get('save-session-data')
  saveSessionData(@Session() session: BlogSession) {
    session.set('id', 1).set('name', 'root').set('password', 'rootpass');
    return 'Session Data Saved';
  }

  @Get('access-session-data')
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
  deleteSessionData(@Session() session: BlogSession) {
    for (const key of ['id', 'name', 'password'] as const) session.delete(key);
    return 'Session Data cleared';
  }
}
