import { testDatabases } from './support/databases.js';
import { createBlogApp } from './support/blog-app.js';
import { sessionCookie, type TestApp } from './support/test-app.js';

/**
 * The statements each kind of request may send: the per-request path holds no cleanup, no
 * existence check before an insert, and no transaction around a single statement.
 */
describe.each(testDatabases())('query budget on %s', (db) => {
  let t: TestApp;
  let cookie: string;
  beforeEach(async () => {
    t = await createBlogApp(db);
    cookie = `sessionid=${sessionCookie(await t.http().get('/bench/put?k=a&v=1')).value}`;
    t.queries.reset();
  });
  afterEach(() => t.close());

  const statements = () => t.queries.statements.map((sql) => sql.split(' ')[0].toUpperCase());

  it('a request that does not touch the session: 0 statements, even with a session cookie', async () => {
    await t.http().get('/').set('Cookie', cookie).expect(200);
    expect(statements()).toEqual([]);
  });

  it('a read of an existing session: 1 statement', async () => {
    await t.http().get('/bench/get').set('Cookie', cookie).expect(200, { a: '1' });
    expect(statements()).toEqual(['SELECT']);
  });

  it('a request that creates a session: 1 statement', async () => {
    await t.http().get('/bench/put?k=b&v=2').expect(200);
    expect(statements()).toEqual(['INSERT']);
  });

  it('a write to an existing session: 2 statements', async () => {
    await t.http().get('/bench/put?k=b&v=2').set('Cookie', cookie).expect(200);
    expect(statements()).toEqual(['SELECT', 'UPDATE']);
  });

  it('a request without a session cookie that reads, or is turned away: 0 statements', async () => {
    await t.http().get('/bench/get').expect(200, {});
    await t.http().get('/lousy-logout/').expect(302);
    expect(statements()).toEqual([]);
  });
});
