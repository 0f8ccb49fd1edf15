import { configureApp, createHttpAdapter } from '../../src/app.setup.js';
import { BlogModule, type BlogModuleOptions } from '../../src/blog/index.js';
import type { SessionModuleOptions } from '../../src/session/index.js';
import type { TestBackend } from './databases.js';
import { createTestApp, type TestApp, type TestPlatform } from './test-app.js';

/** The demo app, set up as `main.ts` sets it up on `platform`, on a fresh database of kind `db`. */
export function createBlogApp(
  db: TestBackend,
  blog: BlogModuleOptions = {},
  session: SessionModuleOptions = {},
  platform: TestPlatform = 'express',
): Promise<TestApp> {
  return createTestApp(db, [], session, {
    imports: [BlogModule.forRoot(blog)],
    configure: configureApp,
    adapter: createHttpAdapter,
    platform,
  });
}

/** The CSRF cookie and hidden-field token of a login form response. */
export function csrfFrom(res: { headers: Record<string, unknown>; text: string }): { cookie: string; token: string } {
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(res.text)?.[1];
  const setCookie = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
  const cookie = setCookie.find((line) => line.startsWith('csrftoken='))?.split(';')[0];
  if (!token || !cookie) throw new Error('the login form carries no CSRF token');
  return { cookie, token };
}
