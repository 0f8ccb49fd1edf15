import { ProbeController } from './probe.controller.js';
import { testRedisUrl } from './redis.js';
import { createTestApp, sessionCookie, type TestApp, type TestPlatform } from './test-app.js';

const PLATFORMS: TestPlatform[] = ['express', 'fastify'];
const withKey = (key: string) => `sessionid=${key}`;
/** The statement kinds a request sent: Redis commands by name, SQL by its verb. */
const kinds = (t: TestApp) => t.queries.statements.map((sql) => sql.trim().split(/\s+/)[0].toUpperCase());

/**
 * A session's life over HTTP on each platform with a Redis store (`cache`) or Redis in front of
 * the table (`cached_db`): the store sits below the platform, so both must do the same.
 */
export function describeStoreOverHttp(backend: 'cache' | 'cached_db', readKinds: string[]): void {
  (testRedisUrl() ? describe.each(PLATFORMS) : describe.skip.each(PLATFORMS))(
    `${backend} over HTTP on %s`,
    (platform) => {
      let t: TestApp;
      beforeEach(async () => {
        t = await createTestApp(backend, [ProbeController], {}, { platform });
      });
      afterEach(() => t.close());

      const keys = async () => (await t.rows()).map((row) => row.session_key);

      it('saves, reads, rotates and binds at login, and ends a session', async () => {
        const key = sessionCookie(await t.http().get('/set?k=color&v=blue').expect(200)).value;
        expect(await keys()).toEqual([key]);
        t.queries.reset();
        const read = await t.http().get('/read').set('Cookie', withKey(key)).expect(200);
        expect(read.body).toEqual({ color: 'blue' });
        expect(kinds(t)).toEqual(readKinds);

        const login = await t.http().get('/bind?user=ann').set('Cookie', withKey(key)).expect(200);
        const fresh = sessionCookie(login).value;
        expect(login.text).toBe(fresh);
        expect(fresh).not.toBe(key);
        expect(await keys()).toEqual([fresh]);
        expect((await t.store.listByUser!('ann')).map((row) => row.key)).toEqual([fresh]);
        expect((await t.http().get('/read').set('Cookie', withKey(key))).body).toEqual({});

        const ended = await t.http().get('/flush').set('Cookie', withKey(fresh)).expect(200);
        expect(sessionCookie(ended).attributes['max-age']).toBe('0');
        expect(await keys()).toEqual([]);
        expect(await t.store.listByUser!('ann')).toEqual([]);
      });
    },
  );
}
