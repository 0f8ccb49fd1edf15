import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { closedPort } from './support/closed-port.js';
import { testDatabases, testDataSourceOptions, testPostgresUrl, type TestDatabase } from './support/databases.js';
import { ownRedisRuns, startRedisServer } from './support/redis-cluster.mjs';
import { connectTestRedis, testRedisUrl } from './support/redis.js';

const run = promisify(execFile);

/**
 * Starts the built server (or `command`, in a process group of its own); resolves with its output
 * once it listens or exits.
 */
function startServer(
  env: Record<string, string>,
  command = [process.execPath, 'dist/src/main.js'],
): Promise<{ code: number | null; output: string; stop(): void }> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), {
      env: { ...process.env, PORT: '0', NO_COLOR: '1', ...env },
      detached: true,
    });
    let output = '';
    const stop = () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    };
    const settle = (code: number | null) => resolve({ code, output, stop });
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Listening on')) settle(null);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', (code) => settle(code));
  });
}

describe('the commands of the README', () => {
  const folder = mkdtempSync(join(tmpdir(), 'nest-sessions-commands-'));
  const tables = (file: string) =>
    new Database(file, { readonly: true })
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => (row as { name: string }).name);

  // Both tests below need the build; `migration:run` makes it.
  beforeAll(async () => {
    await run('npm', ['run', 'migration:run'], {
      env: { ...process.env, DATABASE_URL: `sqlite:${join(folder, 'cli.sqlite')}` },
      timeout: 120_000,
    });
  }, 120_000);
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('npm run migration:run brings the database that DATABASE_URL names up to date', () => {
    expect(tables(join(folder, 'cli.sqlite'))).toEqual(expect.arrayContaining(['session', 'migrations']));
  });

  it('npm start builds the demo with the Nest CLI, its views copied as assets, and serves it', async () => {
    const file = join(folder, 'start.sqlite');
    const server = await startServer({ DATABASE_URL: `sqlite:${file}`, NODE_ENV: 'development' }, ['npm', 'start']);
    try {
      const url = /Listening on (http:\/\/localhost:\d+\/)/.exec(server.output)?.[1];
      expect(url).toBeDefined();
      // npm echoes the script it runs: the Nest CLI's, with nest-cli.json's assets.
      expect(server.output).toMatch(/^> .*\bnest start$/m);
      expect(readdirSync('dist/src/blog/views').sort()).toEqual(readdirSync('src/blog/views').sort());
      const form = await fetch(`${url}lousy-login/`);
      expect(form.status).toBe(200);
      expect(await form.text()).toMatch(/<form method="post"[\s\S]*name="csrfmiddlewaretoken"/);
    } finally {
      server.stop();
    }
  }, 180_000);

  it('the server migrates a fresh SQLite database at start and listens', async () => {
    const file = join(folder, 'server.sqlite');
    const server = await startServer({ DATABASE_URL: `sqlite:${file}`, NODE_ENV: 'development' });
    try {
      const url = /Listening on (http:\/\/localhost:\d+\/)/.exec(server.output)?.[1];
      expect(url).toBeDefined();
      expect(server.output).toMatch(/No session secret set/);
      expect(tables(file)).toContain('session');
      const home = await fetch(url!);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('href="/lousy-login/"');
      const saved = await fetch(`${url}save-session-data/`);
      expect(await saved.text()).toBe('Session Data Saved');
      expect(saved.headers.get('set-cookie')).toMatch(/^sessionid=[a-z0-9]{32};/);
    } finally {
      server.stop();
    }
  });

  it('HTTP_ADAPTER=fastify starts the same server on Fastify: its pages, forms and a login', async () => {
    const env = { DATABASE_URL: `sqlite:${join(folder, 'fastify.sqlite')}`, NODE_ENV: 'development' };
    const server = await startServer({ ...env, HTTP_ADAPTER: 'fastify' });
    try {
      const url = /Listening on (http:\/\/localhost:\d+\/) \(fastify\)/.exec(server.output)?.[1];
      expect(url).toBeDefined();
      const home = await fetch(url!);
      expect(home.status).toBe(200);
      expect(await home.text()).toMatch(/<title>Home · nest-sessions demo<\/title>[\s\S]*href="\/lousy-login\/"/);
      const form = await fetch(`${url}lousy-login/`);
      const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await form.text())?.[1];
      const csrf = form.headers.getSetCookie().find((line) => line.startsWith('csrftoken='));
      const login = await fetch(`${url}lousy-login/`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: csrf!.split(';')[0], 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'root', password: 'pass', csrfmiddlewaretoken: token! }),
      });
      expect([login.status, login.headers.get('location')]).toEqual([302, '/lousy-secret/']);
      const session = login.headers.getSetCookie().find((line) => line.startsWith('sessionid='))!;
      const secret = await fetch(`${url}lousy-secret/`, { headers: { cookie: session.split(';')[0] } });
      expect(await secret.text()).toContain('This is a secret page');
    } finally {
      server.stop();
    }
    // Express stays the default.
    const express = await startServer(env);
    express.stop();
    expect(express.output).toMatch(/Listening on http:\/\/localhost:\d+\/ \(express\)/);
  });

  // Each a single line naming DATABASE_URL, with nothing of a stack trace before or after it.
  it.each<[string, () => string, RegExp]>([
    ['an unknown scheme', () => 'mongodb://localhost/db', /DATABASE_URL has an unsupported scheme "mongodb:"/],
    [
      'an unreachable server',
      () => 'mysql://root@127.0.0.1:1/test',
      /DATABASE_URL=mysql:\/\/root@127\.0\.0\.1:1\/test: no MySQL\/MariaDB server answers at 127\.0\.0\.1:1 \(ECONNREFUSED\)/,
    ],
    [
      'an unreachable PostgreSQL server',
      () => 'postgresql://postgres:secret@127.0.0.1:1/test',
      /DATABASE_URL=postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test: no PostgreSQL server answers at 127\.0\.0\.1:1 \(ECONNREFUSED\)/,
    ],
    [
      'a SQLite file in a folder that cannot be made',
      () => {
        // A file where the folder would go.
        writeFileSync(join(folder, 'plain-file'), '');
        return `sqlite:${join(folder, 'plain-file', 'app.sqlite')}`;
      },
      /DATABASE_URL names the SQLite file \S+plain-file\/app\.sqlite, whose folder cannot be created \(a file stands where a folder should be\)/,
    ],
    [
      'a file that is not SQLite',
      () => {
        const file = join(folder, 'notes.txt');
        writeFileSync(file, 'these are notes, not a database\n'.repeat(20));
        return `sqlite:${file}`;
      },
      /DATABASE_URL=sqlite:\S+notes\.txt: \S+notes\.txt is not a SQLite database/,
    ],
    ...(testDatabases().includes('mariadb')
      ? [
          [
            'a MariaDB database that does not exist',
            () => {
              const url = new URL(process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
              url.pathname = '/no_such_database_here';
              return url.href;
            },
            /DATABASE_URL=\S+: the database "no_such_database_here" does not exist on [\w.]+:\d+\. Create it/,
          ] as [string, () => string, RegExp],
        ]
      : []),
    ...(testDatabases().includes('postgres')
      ? [
          [
            'a PostgreSQL database that does not exist',
            () => Object.assign(new URL(testPostgresUrl()), { pathname: '/no_such_database_here' }).href,
            /DATABASE_URL=postgres:\S+: the database "no_such_database_here" does not exist on [\w.]+:\d+\. Create it/,
          ] as [string, () => string, RegExp],
        ]
      : []),
  ])(
    'stops at start on %s, in one line naming DATABASE_URL',
    async (_name, url, message) => {
      const server = await startServer({ DATABASE_URL: url(), NODE_ENV: 'development' });
      expect(server.code).toBe(1);
      expect(server.output).toMatch(message);
      expect(server.output.match(/ERROR/g)).toHaveLength(1);
      expect(server.output).not.toMatch(/\n\s+at /);
    },
    30_000,
  );

  it('says in one line, without a stack trace, why it stops when a module cannot load', async () => {
    const server = await startServer({ DATABASE_URL: `sqlite:${join(folder, 'q.sqlite')}`, NODE_ENV: 'production' });
    expect(server.code).toBe(1);
    expect(server.output).toMatch(/Could not start: SessionModule: the secret is not set/);
    expect(server.output).not.toMatch(/\n\s+at /);
    expect(server.output).not.toMatch(/ExceptionHandler/);
  });

  it.each([
    ['SESSION_COOKIE_AGE', 'two weeks', /Could not start: SESSION_COOKIE_AGE must be a whole number/],
    ['HTTP_ADAPTER', 'koa', /Could not start: HTTP_ADAPTER must be one of express, fastify, got "koa"\./],
  ])('refuses a bad setting at start, naming the variable: %s=%s', async (name, value, message) => {
    const server = await startServer({
      DATABASE_URL: `sqlite:${join(folder, 'bad.sqlite')}`,
      NODE_ENV: 'development',
      [name]: value,
    });
    expect(server.code).toBe(1);
    expect(server.output).toMatch(message);
    // One line, not a stack trace.
    expect(server.output).not.toMatch(/\n\s+at /);
  });

  it('stops with one line naming REDIS_URL when the Redis of SESSION_STORE does not answer', async () => {
    const server = await startServer({
      DATABASE_URL: `sqlite:${join(folder, 'redis-down.sqlite')}`,
      NODE_ENV: 'development',
      SESSION_STORE: 'cache',
      // A port nothing listens on: the one a server just let go of.
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
    });
    expect(server.code).toBe(1);
    const errors = server.output.split('\n').filter((line) => line.includes('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Could not start: REDIS_URL=redis:\/\/127\.0\.0\.1:\d+\/?: Redis does not answer/);
    expect(server.output).not.toMatch(/\n\s+at /);
  });

  (ownRedisRuns() ? it : it.skip)(
    'stops with one line naming the policy when SESSION_STORE=cache meets an evicting Redis; cached_db starts',
    async () => {
      const redis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
      try {
        const env = { DATABASE_URL: `sqlite:${join(folder, 'evicting.sqlite')}`, NODE_ENV: 'development' };
        const server = await startServer({ ...env, SESSION_STORE: 'cache', REDIS_URL: redis.url });
        expect(server.code).toBe(1);
        const errors = server.output.split('\n').filter((line) => line.includes('ERROR'));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(
          /Could not start: RedisSessionStore needs maxmemory-policy noeviction, but Redis runs with maxmemory-policy allkeys-lru: .*or keep sessions with CachedSessionStore \(cached_db\)/,
        );
        expect(server.output).not.toMatch(/\n\s+at /);
        const cached = await startServer({ ...env, SESSION_STORE: 'cached_db', REDIS_URL: redis.url });
        cached.stop();
        expect(cached.output).toMatch(/Listening on/);
      } finally {
        redis.stop();
      }
    },
    30_000,
  );

  (testRedisUrl() ? it.each(['cache', 'cached_db']) : it.skip.each(['cache', 'cached_db']))(
    'keeps sessions where SESSION_STORE=%s says, on the Redis of REDIS_URL',
    async (store) => {
      const server = await startServer({
        DATABASE_URL: `sqlite:${join(folder, `${store}.sqlite`)}`,
        NODE_ENV: 'development',
        SESSION_STORE: store,
        REDIS_URL: testRedisUrl()!,
      });
      try {
        const url = /Listening on (http:\/\/localhost:\d+\/)/.exec(server.output)?.[1];
        expect(url).toBeDefined();
        const put = await fetch(`${url}bench/put?k=where&v=${store}`);
        const key = /sessionid=([a-z0-9]{32})/.exec(put.headers.get('set-cookie') ?? '')?.[1];
        expect(key).toBeDefined();
        const got = await fetch(`${url}bench/get`, { headers: { cookie: `sessionid=${key}` } });
        expect(await got.json()).toEqual({ where: store });
        const redis = await connectTestRedis('single');
        try {
          const redisKey = store === 'cache' ? `session:${key}` : `session-cache:${key}`;
          expect(await redis.raw(redisKey, ['HGET', redisKey, 'v'])).toBe('0');
          await redis.raw(redisKey, ['DEL', redisKey]);
        } finally {
          await redis.close();
        }
        const rows = new Database(join(folder, `${store}.sqlite`), { readonly: true })
          .prepare('SELECT session_key FROM session')
          .all();
        expect(rows).toEqual(store === 'cache' ? [] : [{ session_key: key }]);
      } finally {
        server.stop();
      }
    },
  );

  /** The built `clearsessions` on the database `url` names. */
  const clearsessionsOn = (url: string, args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ['dist/src/commands/clearsessions.js', ...args], {
      env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: url, ...env },
    });

  describe('npm run clearsessions', () => {
    const file = join(folder, 'cli.sqlite');
    const rows = () =>
      new Database(file, { readonly: true })
        .prepare('SELECT session_key AS key FROM session ORDER BY key')
        .all()
        .map((row) => (row as { key: string }).key);
    const clearsessions = (args: string[], env: Record<string, string> = {}) =>
      clearsessionsOn(`sqlite:${file}`, args, env);

    beforeAll(() => {
      const db = new Database(file);
      const insert = db.prepare('INSERT INTO session (session_key, session_data, expire_date) VALUES (?, ?, ?)');
      for (let i = 0; i < 7; i++) insert.run(`expired${i}`.padEnd(32, 'x'), 'x', '2001-01-01 00:00:00.000');
      insert.run('live'.padEnd(32, 'x'), 'x', '2999-01-01 00:00:00.000');
      db.close();
    });

    it('--dry-run reports what it would delete and deletes nothing', async () => {
      const { stdout } = await run('npm', ['run', 'clearsessions', '--', '--dry-run'], {
        env: { ...process.env, DATABASE_URL: `sqlite:${file}` },
        timeout: 120_000,
      });
      expect(stdout).toMatch(
        /^clearsessions: would delete 7 expired sessions from the SQLite file \S+cli\.sqlite; 1 live session would stay \(dry run\)\.$/m,
      );
      expect(rows()).toHaveLength(8);
    }, 120_000);

    it('npm run clearsessions --dry-run, the flag left to npm without --, is a dry run too', async () => {
      const { stdout } = await run('npm', ['run', 'clearsessions', '--dry-run'], {
        env: { ...process.env, DATABASE_URL: `sqlite:${file}` },
        timeout: 120_000,
      });
      expect(stdout).toMatch(
        /^clearsessions: would delete 7 expired sessions from the SQLite file \S+cli\.sqlite; 1 live session would stay \(dry run\)\.$/m,
      );
      expect(rows()).toHaveLength(8);
    }, 120_000);

    it('deletes exactly the expired rows, in batches, with one summary line in a pipe', async () => {
      const { stdout, stderr } = await clearsessions(['--batch-size', '3']);
      expect(stdout.trim()).toMatch(
        /^clearsessions: deleted 7 expired sessions from the SQLite file \S+cli\.sqlite in [\d.]+ s \(3 batches of up to 3\)\.$/,
      );
      expect(stderr).toBe('');
      expect(rows()).toEqual(['live'.padEnd(32, 'x')]);
    });

    it('counts one session as one', async () => {
      const db = new Database(file);
      db.prepare('INSERT INTO session (session_key, session_data, expire_date) VALUES (?, ?, ?)').run(
        'single'.padEnd(32, 'x'),
        'x',
        '2001-01-01 00:00:00.000',
      );
      db.close();
      const { stdout } = await clearsessions([]);
      expect(stdout).toMatch(
        /^clearsessions: deleted 1 expired session from the SQLite file \S+ in [\d.]+ s \(1 batch of/,
      );
    });

    it('fails with a clear message and a non-zero exit when the database cannot be reached', async () => {
      const failure = await clearsessions([], { DATABASE_URL: 'mysql://root@127.0.0.1:1/test' }).catch(
        (error) => error,
      );
      expect(failure.code).toBe(1);
      expect(failure.stderr.trim()).toMatch(
        /^clearsessions: DATABASE_URL=mysql:\/\/root@127\.0\.0\.1:1\/test: no MySQL\/MariaDB server answers at 127\.0\.0\.1:1 \(ECONNREFUSED\)/,
      );
    }, 30_000);

    it('refuses unknown arguments with its usage', async () => {
      const failure = await clearsessions(['--everything']).catch((error) => error);
      expect(failure.code).toBe(1);
      expect(failure.stderr).toMatch(/unknown argument "--everything"[\s\S]*Usage: npm run clearsessions/);
    });
  });

  (testDatabases().includes('postgres') ? describe : describe.skip)('npm run clearsessions on PostgreSQL', () => {
    let url: string;
    let dataSource: DataSource;
    const rows = async () =>
      (await dataSource.query<{ key: string }[]>('SELECT session_key AS key FROM session ORDER BY key')).map(
        (row) => row.key,
      );

    beforeAll(async () => {
      const options = await testDataSourceOptions('postgres');
      url = (options as { url: string }).url;
      dataSource = await new DataSource(options).initialize();
      const insert = 'INSERT INTO session (session_key, session_data, expire_date) VALUES ($1, $2, $3)';
      for (let i = 0; i < 7; i++) await dataSource.query(insert, [`expired${i}`.padEnd(32, 'x'), 'x', '2001-01-01Z']);
      await dataSource.query(insert, ['live'.padEnd(32, 'x'), 'x', '2999-01-01Z']);
    });
    afterAll(() => dataSource?.destroy());

    it('--dry-run counts what it would delete, in the database DATABASE_URL names', async () => {
      const { stdout } = await clearsessionsOn(url, ['--dry-run']);
      expect(stdout.trim()).toBe(
        `clearsessions: would delete 7 expired sessions from ${url}; 1 live session would stay (dry run).`,
      );
      expect(await rows()).toHaveLength(8);
    });

    it('deletes exactly the expired rows, in batches', async () => {
      const { stdout, stderr } = await clearsessionsOn(url, ['--batch-size', '3']);
      expect(stdout.trim()).toMatch(
        /^clearsessions: deleted 7 expired sessions from postgres:\S+ in [\d.]+ s \(3 batches of up to 3\)\.$/,
      );
      expect(stderr).toBe('');
      expect(await rows()).toEqual(['live'.padEnd(32, 'x')]);
    });
  });

  it('refuses to start in production without SESSION_SECRET', async () => {
    const server = await startServer({ DATABASE_URL: `sqlite:${join(folder, 'p.sqlite')}`, NODE_ENV: 'production' });
    expect(server.code).toBe(1);
    expect(server.output).toMatch(/SESSION_SECRET/);
  });

  // Two real server processes on one database server (and one Redis) must behave as one server:
  // on MariaDB with every store, on PostgreSQL with the table alone.
  const pairs: [TestDatabase, string][] = [
    ...(testDatabases().includes('mariadb')
      ? (testRedisUrl() ? ['db', 'cache', 'cached_db'] : ['db']).map((store): [TestDatabase, string] => [
          'mariadb',
          store,
        ])
      : []),
    ...(testDatabases().includes('postgres') ? [['postgres', 'db'] as [TestDatabase, string]] : []),
  ];
  (pairs.length ? describe.each(pairs) : describe.skip.each<[TestDatabase, string]>([['mariadb', 'db']]))(
    'two servers, one %s database, SESSION_STORE=%s',
    (db, store) => {
      const servers: { url: string; stop(): void }[] = [];
      const secret = 'shared-secret-of-the-two-servers-0123456789';
      // A Redis database of this suite's, whose session keys it deletes before and after.
      const redisUrl = testRedisUrl() && Object.assign(new URL(testRedisUrl()!), { pathname: '/13' }).toString();
      const dropSessionKeys = async () => {
        if (!redisUrl) return;
        const redis = await connectTestRedis('single', redisUrl);
        for (const pattern of ['session:*', 'session-cache:*']) {
          for (const key of (await redis.raw('', ['KEYS', pattern])) as string[]) await redis.raw(key, ['DEL', key]);
        }
        await redis.close();
      };

      beforeAll(async () => {
        await dropSessionKeys();
        const { url } = (await testDataSourceOptions(db)) as { url: string };
        const env = { DATABASE_URL: url, SESSION_SECRET: secret, NODE_ENV: 'production', SESSION_STORE: store };
        // One after the other: the first brings the schema up to date.
        for (let i = 0; i < 2; i++) {
          const server = await startServer({ ...env, ...(redisUrl && { REDIS_URL: redisUrl }) });
          const address = /Listening on (http:\/\/localhost:\d+)\//.exec(server.output)?.[1];
          if (!address) throw new Error(`server ${i} did not start:\n${server.output}`);
          servers.push({ url: address, stop: server.stop });
        }
      }, 60_000);
      afterAll(async () => {
        servers.forEach((server) => server.stop());
        await dropSessionKeys();
      });

      const get = (server: number, path: string, cookie?: string) =>
        fetch(`${servers[server].url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
      const cookieOf = (res: Response) => res.headers.get('set-cookie')?.split(';')[0];

      it('a session made on one is read and changed on the other', async () => {
        const cookie = cookieOf(await get(0, '/bench/put?k=made&v=on-a'))!;
        expect(await (await get(1, '/bench/get', cookie)).json()).toEqual({ made: 'on-a' });
        expect((await get(1, '/bench/put?k=changed&v=on-b', cookie)).status).toBe(200);
        expect(await (await get(0, '/bench/get', cookie)).json()).toEqual({ made: 'on-a', changed: 'on-b' });
      });

      it('keeps all of 100 parallel writes spread over both servers', async () => {
        const cookie = cookieOf(await get(0, '/bench/put?k=start&v=0'))!;
        const statuses = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            get(i % 2, `/bench/put?k=w${i}&v=${i}`, cookie).then((res) => res.status),
          ),
        );
        expect(statuses.filter((status) => status !== 200)).toEqual([]);
        const data = await (await get(1, '/bench/get', cookie)).json();
        expect(Object.keys(data)).toHaveLength(101);
      }, 30_000);

      it('300 writers on one 60 KB session on one server, another client writing on the other: every write kept', async () => {
        const cookie = cookieOf(await get(0, `/bench/put?k=big0&v=${'x'.repeat(10_000)}`))!;
        for (let i = 1; i < 6; i++)
          expect((await get(0, `/bench/put?k=big${i}&v=${'x'.repeat(10_000)}`, cookie)).status).toBe(200);
        const other = cookieOf(await get(1, '/bench/put?k=other&v=0'))!;
        let otherCount = 0;
        const otherWrite = async () =>
          expect((await get(1, `/bench/put?k=o${otherCount++}&v=1`, other)).status).toBe(200);
        let stormDone = false;
        const storm = Promise.all(
          Array.from({ length: 300 }, (_, i) => get(0, `/bench/put?k=s${i}&v=${i}`, cookie).then((res) => res.status)),
        ).finally(() => (stormDone = true));
        while (!stormDone) await otherWrite();
        const statuses = await storm;
        expect(statuses.filter((status) => status !== 200)).toEqual([]);
        const data = await (await get(1, '/bench/get', cookie)).json();
        expect(Array.from({ length: 300 }, (_, i) => data[`s${i}`] === String(i)).every(Boolean)).toBe(true);
        expect(JSON.stringify(data).length).toBeGreaterThan(60_000);
        expect(otherCount).toBeGreaterThan(0);
        const otherData = await (await get(0, '/bench/get', other)).json();
        expect(Object.keys(otherData)).toHaveLength(otherCount + 1);
        // How much the other client slows down is a timing: `npm run bench:storm` measures it.
      }, 60_000);

      it('a logout on one is not undone by a slow write finishing on the other', async () => {
        const form = await get(0, '/lousy-login/');
        const csrf = cookieOf(form)!;
        const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await form.text())![1];
        const login = await fetch(`${servers[0].url}/lousy-login/`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: csrf, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: 'root', password: 'pass', csrfmiddlewaretoken: token }),
        });
        expect(login.status).toBe(302);
        const session = login.headers
          .getSetCookie()
          .find((line) => line.startsWith('sessionid='))!
          .split(';')[0];
        expect((await get(1, '/lousy-secret/', session)).status).toBe(200);

        const slow = get(1, '/bench/put?k=cart&v=full&wait=600', session);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await get(0, '/lousy-logout/', session)).status).toBe(200);
        expect((await slow).status).toBe(400);
        expect((await get(1, '/lousy-secret/', session)).status).toBe(302);
        expect(await (await get(0, '/bench/get', session)).json()).toEqual({});
      }, 30_000);

      /** The lousy login on `server`; resolves the session cookie. */
      async function logIn(server: number): Promise<string> {
        const form = await get(server, '/lousy-login/');
        const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await form.text())![1];
        const login = await fetch(`${servers[server].url}/lousy-login/`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: cookieOf(form)!, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: 'root', password: 'pass', csrfmiddlewaretoken: token }),
        });
        return login.headers
          .getSetCookie()
          .find((line) => line.startsWith('sessionid='))!
          .split(';')[0];
      }

      it("a user's sessions are listed and revoked from the other server; a slow write does not revive one", async () => {
        const here = await logIn(0);
        const there = await logIn(0);
        const page = await get(1, '/sessions/', here);
        const html = await page.text();
        expect(html.match(/data-session-id=/g)).toHaveLength(2);
        const csrf = page.headers
          .getSetCookie()
          .find((line) => line.startsWith('csrftoken='))!
          .split(';')[0];
        const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)![1];

        const slow = get(0, '/bench/put?k=late&v=1&wait=600', there);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const revoke = await fetch(`${servers[1].url}/sessions/revoke-others/`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: `${csrf}; ${here}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrfmiddlewaretoken: token }),
        });
        expect([revoke.status, revoke.headers.get('location')]).toEqual([302, '/sessions/']);
        expect((await slow).status).toBe(400);
        expect((await get(0, '/lousy-secret/', there)).status).toBe(302);
        expect((await get(0, '/lousy-secret/', here)).status).toBe(200);
        expect((await (await get(1, '/sessions/', here)).text()).match(/data-session-id=/g)).toHaveLength(1);
      }, 30_000);
    },
  );
});
