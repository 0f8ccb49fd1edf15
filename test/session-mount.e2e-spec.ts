import type { MiddlewareConsumer } from '@nestjs/common';
import { attachSessionMiddleware } from '../src/session/http/platform/session-mount.js';
import { SessionModule } from '../src/session/index.js';
import { testBackends } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { createTestApp, sessionCookie, setCookies, TEST_SECRET, type TestApp } from './support/test-app.js';

/** SessionModule mounted as Nest middleware, the way it runs off Express. */
class NestMountedSessionModule extends SessionModule {
  static used: string | undefined;
  override configure(consumer: MiddlewareConsumer): void {
    NestMountedSessionModule.used = attachSessionMiddleware(
      consumer,
      this.adapterHost,
      this.middleware,
      'nest-middleware',
    );
  }
}

const mounts = [
  ['at the Express entry', undefined],
  ['as Nest middleware', NestMountedSessionModule],
] as const;

describe.each(testBackends())('the session middleware on %s', (db) => {
  describe.each(mounts)('%s', (_name, module) => {
    let t: TestApp;
    beforeEach(async () => {
      NestMountedSessionModule.used = undefined;
      t = await createTestApp(
        db,
        [ProbeController],
        {},
        module && { sessionModule: module.forRoot({ secret: TEST_SECRET }) },
      );
    });
    afterEach(() => t.close());

    it('saves, reads back, leaves untouched routes alone and deletes a bad cookie', async () => {
      const key = sessionCookie(await t.http().get('/save').expect(200)).value;
      const read = await t.http().get('/read').set('Cookie', `sessionid=${key}`).expect(200);
      expect(read.body).toEqual({ id: 1, name: 'root' });
      expect(read.headers.vary).toBe('Cookie');
      const untouched = await t.http().get('/untouched').set('Cookie', `sessionid=${key}`).expect(200);
      expect(setCookies(untouched)).toEqual([]);
      const bad = await t.http().get('/untouched').set('Cookie', 'sessionid=bad').expect(200);
      expect(setCookies(bad).map((cookie) => cookie.attributes['max-age'])).toEqual(['0']);
    });

    it('runs where it was asked to', () => {
      expect(NestMountedSessionModule.used).toBe(module ? 'nest-middleware' : undefined);
    });

    it('gives guards the session', async () => {
      const key = sessionCookie(await t.http().get('/flag').expect(200)).value;
      await t.http().get('/guarded').set('Cookie', `sessionid=${key}`).expect(200);
      await t.http().get('/guarded').expect(403);
    });
  });
});
