import { testDatabases } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { createTestApp, sessionCookie, setCookies, type TestApp } from './support/test-app.js';

const withKey = (key: string) => `sessionid=${key}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PARALLEL_WRITES = 200;

describe.each(testDatabases())('concurrent requests on one session on %s (SPEC §4)', (db) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(db, [ProbeController]);
  });
  afterEach(() => t.close());

  const startSession = async () => sessionCookie(await t.http().get('/save')).value;
  const read = async (key: string) => (await t.http().get('/read').set('Cookie', withKey(key))).body;

  it(`keeps every one of ${PARALLEL_WRITES} parallel writes of different keys`, async () => {
    const key = await startSession();
    const responses = await Promise.all(
      Array.from({ length: PARALLEL_WRITES }, (_, i) => t.http().get(`/set?k=k${i}&v=${i}`).set('Cookie', withKey(key))),
    );
    expect(responses.filter((res) => res.status !== 200).map((res) => res.status)).toEqual([]);
    const data = await read(key);
    const kept = Array.from({ length: PARALLEL_WRITES }, (_, i) => `k${i}`).filter((k) => data[k] === String(Number(k.slice(1))));
    expect(kept).toHaveLength(PARALLEL_WRITES);
    expect(data).toMatchObject({ id: 1, name: 'root' });
  }, 60_000);

  it('merges an overlapping slow write with the writes that committed meanwhile', async () => {
    const key = await startSession();
    const slow = t.http().get('/slow-set?k=color&v=red&ms=300').set('Cookie', withKey(key)).then((res) => res);
    await sleep(100);
    await t.http().get('/set?k=size&v=9').set('Cookie', withKey(key)).expect(200);
    await t.http().get('/set?k=color&v=blue').set('Cookie', withKey(key)).expect(200);
    expect((await slow).status).toBe(200);
    // The later commit wins on the key both wrote; the other writes stay.
    expect(await read(key)).toEqual({ id: 1, name: 'root', size: '9', color: 'red' });
  });

  it('a request that finishes after a logout does not bring the session back', async () => {
    const key = await startSession();
    const slow = t.http().get('/slow-set?k=cart&v=full&ms=300').set('Cookie', withKey(key)).then((res) => res);
    await sleep(100);
    await t.http().get('/flush').set('Cookie', withKey(key)).expect(200);
    const late = await slow;
    expect(late.status).toBe(400);
    expect(late.body.message).toMatch(/session ended while this request was running/);
    // The logout's response already removed the cookie; the late one leaves it alone.
    expect(setCookies(late)).toHaveLength(0);
    expect(await t.rows()).toHaveLength(0);
    expect(await read(key)).toEqual({});
  });

  it('a write that finishes after a login changed the key neither revives the old key nor touches the new cookie', async () => {
    const key = await startSession();
    const slow = t.http().get('/slow-set?k=late&v=1&ms=300').set('Cookie', withKey(key)).then((res) => res);
    await sleep(100);
    const fresh = sessionCookie(await t.http().get('/cycle').set('Cookie', withKey(key)).expect(200)).value;
    const late = await slow;
    expect(late.status).toBe(400);
    expect(setCookies(late)).toHaveLength(0);
    expect(await read(fresh)).toEqual({ id: 1, name: 'root' });
    expect((await t.rows()).map((row) => row.session_key)).toEqual([fresh]);
  });
});
