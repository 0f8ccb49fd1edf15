import Database from 'better-sqlite3';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

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
const SECRET = 'consumer-secret-of-at-least-32-characters';

/**
 * The library as another app gets it: packed, installed from the tarball into the small app of
 * `test/consumer/` (which imports only 'nest-sessions'), type-checked strictly with the README's
 * code blocks, started, and driven over HTTP.
 */
describe('the packed library in an app of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-sessions-consumer-'));
  const app = join(dir, 'app');
  const timings: Record<string, number> = {};
  let files: string[] = [];

  async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = Math.round(performance.now() - started);
    }
  }

  beforeAll(async () => {
    await step('pack', () => run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: process.cwd() }));
    const tarball = join(
      dir,
      readdirSync(dir).find((file) => file.endsWith('.tgz'))!,
    );
    files = (await run('tar', ['tzf', tarball])).stdout.split('\n').filter(Boolean);
    cpSync('test/consumer', app, { recursive: true, filter: (path) => !/node_modules|[/\\]dist$/.test(path) });
    writeReadmeBlocks(join(app, 'src/readme'));
    // From the npm cache this machine already holds; install scripts off, as better-sqlite3's
    // would compile its addon again: the app gets the host's build of the same version instead.
    await step('install', () =>
      run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball], { cwd: app }),
    );
    const version = (path: string) =>
      (JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version: string }).version;
    const host = 'node_modules/better-sqlite3';
    const guest = join(app, 'node_modules/better-sqlite3');
    if (version(host) === version(guest)) cpSync(join(host, 'build'), join(guest, 'build'), { recursive: true });
    else await step('rebuild better-sqlite3', () => run('npm', ['rebuild', 'better-sqlite3'], { cwd: app }));
    await step('type-check and build', () => run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: app }));
  }, 300_000);

  afterAll(() => {
    console.log(`consumer test steps (ms): ${JSON.stringify(timings)}`);
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
    expect(files.filter((file) => !/^package\/(dist\/lib\/|README\.md$|LICENSE$|package\.json$)/.test(file))).toEqual(
      [],
    );
    expect(files.filter((file) => /\.spec\.|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
  });

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

  /** The built app, started with `env`; resolves its URL and a way to stop it. */
  async function start(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: app,
      env: { ...process.env, SESSION_SECRET: SECRET, ...env },
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /Listening on (http:\/\/[\d.:]+)/.exec(output)?.[1];
        if (found) resolve(found);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('exit', (code) => reject(new Error(`the app exited with ${code}:\n${output}`)));
    });
    return { url, child };
  }

  const cookieOf = (res: Response) => /sessionid=([a-z0-9]{32})/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  const get = (url: string, key?: string) => fetch(url, { headers: key ? { cookie: `sessionid=${key}` } : {} });

  it('serves sessions from the TypeORM store on SQLite, with the package migrations: @Session(), a guard, a login', async () => {
    const file = join(dir, 'typeorm.sqlite');
    const { url, child } = await start({ DATABASE_FILE: file });
    try {
      const first = await get(`${url}/visit`);
      const key = cookieOf(first)!;
      expect(await first.json()).toEqual({ visits: 1 });
      expect(await (await get(`${url}/visit`, key)).json()).toEqual({ visits: 2 });
      expect((await get(`${url}/secret`, key)).status).toBe(403);
      const login = await get(`${url}/login?user=ann`, key);
      const loggedIn = cookieOf(login)!;
      expect(loggedIn).not.toBe(key);
      expect(await (await get(`${url}/secret`, loggedIn)).json()).toEqual({ user: 'ann' });
      expect((await get(`${url}/secret`, key)).status).toBe(403);
    } finally {
      child.kill();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT session_key FROM session').all()).toHaveLength(1);
    } finally {
      db.close();
    }
  }, 30_000);

  it('serves sessions from a store of its own, configured through forRootAsync and ConfigService', async () => {
    const file = join(dir, 'own.sqlite');
    const { url, child } = await start({ DATABASE_FILE: file, CONSUMER_STORE: 'own' });
    try {
      const key = cookieOf(await get(`${url}/visit`))!;
      expect(await (await get(`${url}/visit`, key)).json()).toEqual({ visits: 2 });
    } finally {
      child.kill();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT session_key FROM session').all()).toEqual([]);
    } finally {
      db.close();
    }
  }, 30_000);
});
