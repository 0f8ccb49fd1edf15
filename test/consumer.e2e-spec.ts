import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The README's TypeScript blocks, one module each, beside the app, so that its type-check holds
 * every import and call of the manual as written. Blocks that import the app's own module get a
 * stand-in `app.module.ts`.
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
}

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

/** The library packed once, for every consumer app below. */
const dir = mkdtempSync(join(tmpdir(), 'nest-sessions-consumer-'));
const timings = new StepTimings();
let tarball = '';
let files: string[] = [];

beforeAll(async () => {
  ({ tarball, files } = await timings.step('pack', () => packLibrary(dir)));
}, 120_000);

afterAll(() => {
  console.log(`consumer test steps (ms): ${JSON.stringify(timings.timings)}`);
  rmSync(dir, { recursive: true, force: true });
});

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
  const app = join(dir, 'app');

  beforeAll(async () => {
    copyConsumer('test/consumer', app);
    writeReadmeBlocks(join(app, 'src/readme'));
    await installAndBuild(app, tarball, timings, 'esm');
  }, 300_000);

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
