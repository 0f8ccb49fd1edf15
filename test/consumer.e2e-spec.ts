import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cookieOf,
  copyConsumer,
  installAndBuild,
  packLibrary,
  run,
  send,
  startConsumer,
  StepTimings,
} from './support/consumer-app.js';
import { closedPort } from './support/closed-port.js';
import { testBackends, testDataSourceOptions, type TestBackend } from './support/databases.js';
import { connectTestRedis, testRedisUrl } from './support/redis.js';

/**
 * The README's TypeScript blocks, one module each, beside the app, so that its type-check holds
 * every import and call of the manual as written. Blocks that import the app's own modules get
 * stand-ins: `app.module.ts`, and the users of the Passport login's `users.service.ts`.
 */
function writeReadmeBlocks(folder: string): void {
  const blocks = [...readFileSync('README.md', 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
  if (blocks.length < 5) throw new Error(`expected the README's TypeScript blocks, found ${blocks.length}`);
  mkdirSync(folder, { recursive: true });
  blocks.forEach((block, i) => writeFileSync(join(folder, `block-${i + 1}.ts`), block));
  writeFileSync(
    join(folder, 'app.module.ts'),
    "import { Module } from '@nestjs/common';\n\n@Module({})\nexport class AppModule {}\n",
  );
  writeFileSync(join(folder, 'users.service.ts'), USERS_SERVICE);
}

const USERS_SERVICE = `import { Injectable } from '@nestjs/common';

export interface User {
  id: string;
}

@Injectable()
export class UsersService {
  async withPassword(username: string, password: string): Promise<User | null> {
    return username === 'ann' && password.length > 0 ? { id: username } : null;
  }

  async byId(id: string): Promise<User | null> {
    return { id };
  }
}
`;

/** The keys of the session rows in the SQLite file `file`. */
function storedKeys(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { session_key: string }>('SELECT session_key FROM session')
      .all()
      .map((row) => row.session_key);
  } finally {
    db.close();
  }
}

/** The library packed once, and the consumer apps below that install it. */
const dir = mkdtempSync(join(tmpdir(), 'nest-sessions-consumer-'));
const apps = { esm: join(dir, 'app'), cjs: join(dir, 'app-cjs') };
const timings = new StepTimings();
let files: string[] = [];
let built: Record<keyof typeof apps, Promise<void>> | undefined;

beforeAll(async () => {
  const packed = await timings.step('pack', () => packLibrary(dir));
  files = packed.files;
  copyConsumer('test/consumer', apps.esm);
  writeReadmeBlocks(join(apps.esm, 'src/readme'));
  copyConsumer('test/consumer-cjs', apps.cjs);
  // The apps install and build side by side; each describe below waits for its own.
  built = {
    esm: installAndBuild(apps.esm, packed.tarball, timings, 'esm'),
    cjs: installAndBuild(apps.cjs, packed.tarball, timings, 'cjs'),
  };
  for (const build of Object.values(built)) build.catch(() => {});
}, 120_000);

afterAll(async () => {
  // A build no test waited for (a run filtered with -t) must end before its folder goes.
  await Promise.allSettled(Object.values(built ?? {}));
  console.log(`consumer test steps (ms): ${JSON.stringify(timings.timings)}`);
  rmSync(dir, { recursive: true, force: true });
}, 300_000);

it('packs the built library, its README and LICENSE, and nothing else', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'package/dist/lib/index.js',
      'package/dist/lib/index.d.ts',
      'package/README.md',
      'package/LICENSE',
    ]),
  );
  expect(files.filter((file) => !/^package\/(dist\/lib\/|README\.md$|LICENSE$|package\.json$)/.test(file))).toEqual([]);
  expect(files.filter((file) => /\.spec\.|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
});

/**
 * The library as another app gets it: packed, installed from the tarball into the small app of
 * `test/consumer/` (which imports only 'nest-sessions'), type-checked strictly with the README's
 * code blocks, started, and driven over HTTP.
 */
describe('the packed library in an app of its own', () => {
  const app = apps.esm;

  beforeAll(() => built?.esm, 300_000);

  it("uses the app's own Nest, TypeORM and driver: no second copy inside the package", () => {
    expect(existsSync(join(app, 'node_modules/nest-sessions/node_modules'))).toBe(false);
  });

  it('refuses, at compile time, a value of the wrong type for a declared key', async () => {
    const main = join(app, 'src/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('// @ts-expect-error', '//'));
    const failed = await run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { cwd: app }).catch(
      (error: { stdout: string }) => error,
    );
    expect('stdout' in failed ? failed.stdout : '').toMatch(
      /error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/,
    );
  }, 60_000);

  it('serves sessions from the TypeORM store on SQLite, with the package migrations: @Session(), a guard, a login', async () => {
    const file = join(dir, 'typeorm.sqlite');
    const { url, child } = await startConsumer(app, { DATABASE_FILE: file });
    try {
      const first = await send(`${url}/visit`);
      const key = cookieOf(first)!;
      expect(await first.json()).toEqual({ visits: 1 });
      expect(await (await send(`${url}/visit`, key)).json()).toEqual({ visits: 2 });
      expect((await send(`${url}/secret`, key)).status).toBe(403);
      const login = await send(`${url}/login?user=ann`, key);
      const loggedIn = cookieOf(login)!;
      expect(loggedIn).not.toBe(key);
      expect(await (await send(`${url}/secret`, loggedIn)).json()).toEqual({ user: 'ann' });
      expect((await send(`${url}/secret`, key)).status).toBe(403);
    } finally {
      child.kill();
    }
    expect(storedKeys(file)).toHaveLength(1);
  }, 30_000);

  describe("the README's Redis module", () => {
    it('is the one this app runs', () => {
      const module = readFileSync('test/consumer/src/redis-sessions.module.ts', 'utf8');
      expect(readFileSync('README.md', 'utf8')).toContain(`\`\`\`ts\n${module}\`\`\``);
    });

    it('fails the start, saying which Redis, when that Redis does not answer', async () => {
      const port = await closedPort();
      const env = { CONSUMER_STORE: 'redis', SESSION_STORE: 'cache', REDIS_URL: `redis://127.0.0.1:${port}` };
      await expect(startConsumer(app, env)).rejects.toThrow(
        new RegExp(`exited with 1:[\\s\\S]*Redis at 127\\.0\\.0\\.1:${port} does not answer: connect ECONNREFUSED`),
      );
    }, 20_000);

    const redisUrl = testRedisUrl();
    (redisUrl ? it.each(['cache', 'cached_db']) : it.skip.each(['cache', 'cached_db']))(
      'serves sessions from the %s store',
      async (store) => {
        const redis = await connectTestRedis('single');
        const file = join(dir, `redis-${store}.sqlite`);
        const env = { CONSUMER_STORE: 'redis', SESSION_STORE: store, REDIS_URL: redisUrl!, DATABASE_FILE: file };
        const { url, child } = await startConsumer(app, env);
        let key: string | undefined;
        try {
          key = cookieOf(await send(`${url}/visit`))!;
          expect(await (await send(`${url}/visit`, key)).json()).toEqual({ visits: 2 });
          expect(storedKeys(file)).toEqual(store === 'cache' ? [] : [key]);
        } finally {
          child.kill();
          // The module's own prefixes, in the suite's Redis: this test's rows go with it.
          if (key) for (const row of [`session:${key}`, `session-cache:${key}`]) await redis.raw(row, ['DEL', row]);
          await redis.close();
        }
      },
      30_000,
    );
  });

  it('serves sessions from a store of its own, configured through forRootAsync and ConfigService', async () => {
    const file = join(dir, 'own.sqlite');
    const { url, child } = await startConsumer(app, { DATABASE_FILE: file, CONSUMER_STORE: 'own' });
    try {
      const key = cookieOf(await send(`${url}/visit`))!;
      expect(await (await send(`${url}/visit`, key)).json()).toEqual({ visits: 2 });
    } finally {
      child.kill();
    }
    expect(storedKeys(file)).toEqual([]);
  }, 30_000);
});

/** Where the CommonJS app keeps its sessions in a run, and the session keys stored there. */
interface ConsumerBackend {
  env: Record<string, string>;
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

/** The backends the suite has: SQLite always; MariaDB, PostgreSQL and Redis alone (`cache`), when they answer. */
const consumerBackends: Record<Exclude<TestBackend, 'cached_db'>, () => Promise<ConsumerBackend>> = {
  sqlite: async () => {
    const file = join(dir, 'cjs.sqlite');
    return { env: { DATABASE_URL: `sqlite:${file}` }, keys: async () => storedKeys(file), close: async () => {} };
  },
  mariadb: async () => {
    const { url } = (await testDataSourceOptions('mariadb')) as { url: string };
    const connection = await mysql.createConnection({ uri: url });
    return {
      env: { DATABASE_URL: url },
      keys: async () => {
        const [rows] = await connection.query<RowDataPacket[]>('SELECT session_key FROM session');
        return rows.map((row) => row.session_key as string);
      },
      close: () => connection.end(),
    };
  },
  postgres: async () => {
    const { url } = (await testDataSourceOptions('postgres')) as { url: string };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      env: { DATABASE_URL: url },
      keys: async () =>
        (await client.query<{ session_key: string }>('SELECT session_key FROM session')).rows.map(
          (row) => row.session_key,
        ),
      close: () => client.end(),
    };
  },
  cache: async () => {
    const redis = await connectTestRedis('single');
    return {
      env: { REDIS_URL: testRedisUrl()!, REDIS_PREFIX: redis.prefix },
      keys: async () => (await redis.keys()).map((key) => key.slice(redis.prefix.length)),
      close: () => redis.close(),
    };
  },
};

/**
 * The same tarball in a CommonJS app (`test/consumer-cjs/`: no `"type": "module"`, compiled by
 * `tsc` to `require()` calls), which loads the package, and Nest itself, through Node's
 * require(esm). The app pins the lowest versions of Nest, @nestjs/typeorm, TypeORM and node-redis
 * that the peer dependencies allow.
 */
describe('the packed library in a CommonJS app, on the lowest supported Nest, TypeORM and node-redis', () => {
  const app = apps.cjs;

  beforeAll(() => built?.cjs, 300_000);

  it('is built to CommonJS: the package is loaded with require()', () => {
    const main = readFileSync(join(app, 'dist/main.js'), 'utf8');
    expect(main).toMatch(/require\("nest-sessions"\)/);
    expect(main).not.toMatch(/^import /m);
  });

  it('runs on the lowest versions the peer dependencies allow', () => {
    const installed = (name: string) =>
      (JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
        .version;
    const peers = (JSON.parse(readFileSync('package.json', 'utf8')) as { peerDependencies: Record<string, string> })
      .peerDependencies;
    for (const name of ['@nestjs/common', '@nestjs/core', '@nestjs/typeorm', 'typeorm']) {
      expect(`${name}@^${installed(name)}`).toBe(`${name}@${peers[name]}`);
    }
    expect(`redis@>=${installed('redis')}`).toBe(`redis@${peers.redis}`);
  });

  it.each(testBackends().filter((backend) => backend !== 'cached_db'))(
    'on %s: sets and reads back a value, changes the key at login, checks it in a guard, and ends the session at logout',
    async (name) => {
      const backend = await consumerBackends[name]();
      const { url, child } = await startConsumer(app, backend.env);
      try {
        const first = await send(`${url}/cart/add?item=tea`);
        const key = cookieOf(first)!;
        expect(await first.json()).toEqual({ cart: ['tea'] });
        expect(await (await send(`${url}/cart/add?item=jam`, key)).json()).toEqual({ cart: ['tea', 'jam'] });
        expect(await (await send(`${url}/cart`, key)).json()).toEqual({ cart: ['tea', 'jam'], user: null });
        expect((await send(`${url}/account`, key)).status).toBe(403);

        const login = await send(`${url}/login?user=ann`, key, 'POST');
        expect(login.status).toBe(200);
        const loggedIn = cookieOf(login)!;
        expect(loggedIn).not.toBe(key);
        expect(await backend.keys()).toEqual([loggedIn]);
        expect(await (await send(`${url}/cart`, key)).json()).toEqual({ cart: [], user: null });
        expect(await (await send(`${url}/account`, loggedIn)).json()).toEqual({ user: 'ann', items: 2 });

        const logout = await send(`${url}/logout`, loggedIn, 'POST');
        expect(logout.status).toBe(200);
        expect(logout.headers.get('set-cookie')).toMatch(
          /^sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0/,
        );
        expect((await send(`${url}/account`, loggedIn)).status).toBe(403);
        expect(await backend.keys()).toEqual([]);
      } finally {
        child.kill();
        await backend.close();
      }
    },
    30_000,
  );
});
