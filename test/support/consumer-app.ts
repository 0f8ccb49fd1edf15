import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Runs a command to its end; rejects with its output when it fails. */
export const run = promisify(execFile);

/** The secret the consumer apps sign with. */
export const CONSUMER_SECRET = 'consumer-secret-of-at-least-32-characters';

/** How long each named step of a consumer test took, in milliseconds. */
export class StepTimings {
  readonly timings: Record<string, number> = {};

  async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.timings[name] = Math.round(performance.now() - started);
    }
  }
}

/** The library packed by `npm pack` (its `prepack` builds it) into `dir`: the tarball and what it holds. */
export async function packLibrary(dir: string): Promise<{ tarball: string; files: string[] }> {
  await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: process.cwd() });
  const tarball = join(
    dir,
    readdirSync(dir).find((file) => file.endsWith('.tgz'))!,
  );
  const files = (await run('tar', ['tzf', tarball])).stdout.split('\n').filter(Boolean);
  return { tarball, files };
}

/** Copies the consumer app of `source` (a folder of `test/`) to `app`, without its builds and installs. */
export function copyConsumer(source: string, app: string): void {
  cpSync(source, app, { recursive: true, filter: (path) => !/node_modules|[/\\]dist$/.test(path) });
}

/**
 * Installs `tarball` into the consumer app at `app` beside the dependencies of its own
 * `package.json`, then type-checks and builds it with its own TypeScript; its steps are timed
 * under `label`.
 */
export async function installAndBuild(
  app: string,
  tarball: string,
  timings: StepTimings,
  label: string,
): Promise<void> {
  // From the npm cache this machine already holds; install scripts off, as better-sqlite3's
  // would compile its addon again: the app gets the host's build of the same version instead.
  await timings.step(`${label} install`, () =>
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball], { cwd: app }),
  );
  const version = (path: string) =>
    (JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version: string }).version;
  const host = 'node_modules/better-sqlite3';
  const guest = join(app, 'node_modules/better-sqlite3');
  if (version(host) === version(guest)) cpSync(join(host, 'build'), join(guest, 'build'), { recursive: true });
  else
    await timings.step(`${label} rebuild better-sqlite3`, () =>
      run('npm', ['rebuild', 'better-sqlite3'], { cwd: app }),
    );
  await timings.step(`${label} type-check and build`, () => run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: app }));
}

/** The built consumer app at `app`, started with `env`; resolves its URL and its process. */
export async function startConsumer(
  app: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: app,
    env: { ...process.env, SESSION_SECRET: CONSUMER_SECRET, ...env },
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

/** The session key a response's `Set-Cookie` gives, if any. */
export const cookieOf = (res: Response) => /sessionid=([a-z0-9]{32})/.exec(res.headers.get('set-cookie') ?? '')?.[1];

/** A request to `url`, with the session cookie `key` when given. */
export const send = (url: string, key?: string, method = 'GET') =>
  fetch(url, { method, headers: key ? { cookie: `sessionid=${key}` } : {} });
