import autocannon from 'autocannon';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Figures of one load run. */
export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  /** Requests per second, over the run. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /**
   * With `trackAnswers`: per key `k` (0 to {@link HOT_KEYS} - 1), the highest request number
   * answered 2xx with that number as its body, 0 for none — the last write to the key the
   * server acknowledged.
   */
  answered?: number[];
}

interface LoadOptions {
  /** The server's origin, or a full URL when `path` is not given. */
  url: string;
  connections?: number;
  headers?: Record<string, string>;
  seconds?: number;
  /** A fixed request rate; without it, as fast as the server answers. */
  rate?: number;
  /**
   * The path (and query) of every request; `{n}` in it becomes the request's number, and `{k}`
   * that number less one, modulo {@link HOT_KEYS}.
   */
  path?: string;
  /** Cookie headers, one per request in turn. */
  cookies?: readonly string[];
  /** Whether to note, per key, the last write answered (see {@link LoadResult.answered}). */
  trackAnswers?: boolean;
}

/** Notes a 2xx answer whose body is the request number `body` in `answered`, by its key. */
function noteAnswer(answered: number[], status: number, body: string): void {
  const n = Number(body);
  if (status < 200 || status >= 300 || !Number.isSafeInteger(n) || n < 1) return;
  const k = (n - 1) % HOT_KEYS;
  if (n > answered[k]) answered[k] = n;
}

/** How many distinct keys `{k}` cycles through. */
export const HOT_KEYS = 256;

/** `path` for the `n`-th request (counting from 1). */
export function requestPath(path: string, n: number): string {
  return path.replaceAll('{n}', String(n)).replaceAll('{k}', String((n - 1) % HOT_KEYS));
}

/** The load generator {@link runLoad} uses: wrk when installed (lighter on a shared machine), else autocannon. */
export const loadGenerator: 'wrk' | 'autocannon' = hasWrk() ? 'wrk' : 'autocannon';

/** Runs a load for `seconds`, as fast as the server answers, and reports. */
export function runLoad(options: LoadOptions & { seconds: number }): Promise<LoadResult> {
  return loadGenerator === 'wrk' && options.rate === undefined ? runWrk(options) : startLoad(options).result;
}

/** An autocannon load that runs until `stop()` (or `seconds`), then reports. */
export function startLoad(options: LoadOptions): { stop(): void; result: Promise<LoadResult> } {
  let instance: autocannon.Instance;
  let n = 0;
  const answered = options.trackAnswers ? new Array<number>(HOT_KEYS).fill(0) : undefined;
  const setupRequest = (request: autocannon.Request) => {
    n += 1;
    const cookie = options.cookies?.[(n - 1) % options.cookies.length];
    return {
      ...request,
      path: options.path ? requestPath(options.path, n) : request.path,
      headers: { ...request.headers, ...(cookie && { cookie }) },
    };
  };
  const result = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 4,
        overallRate: options.rate,
        duration: options.seconds ?? 600,
        headers: options.headers,
        requests: [
          {
            setupRequest,
            ...(answered && { onResponse: (status: number, body: string) => noteAnswer(answered, status, body) }),
          },
        ],
      },
      (error, r) =>
        error
          ? reject(error)
          : resolve({
              requests: r.requests.total,
              errors: r.errors,
              non2xx: r.non2xx,
              rps: r.requests.total / (r.duration || 1),
              p50: r.latency.p50,
              p99: r.latency.p99,
              max: r.latency.max,
              answered,
            }),
    );
  });
  return { stop: () => instance.stop(), result };
}

/** One wrk run (one thread), with bench/support/wrk.lua setting each request's path and cookie. */
async function runWrk(options: LoadOptions & { seconds: number }): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const cookieFile = join(dir, 'cookies');
    writeFileSync(cookieFile, (options.cookies ?? []).join('\n'));
    const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
    const args = [
      '-t1',
      `-c${options.connections ?? 4}`,
      `-d${options.seconds}s`,
      '-s',
      'bench/support/wrk.lua',
      ...headers,
      options.url,
    ];
    const env = {
      ...process.env,
      WRK_PATH: options.path ?? new URL(options.url).pathname,
      WRK_COOKIES: cookieFile,
      WRK_KEYS: String(HOT_KEYS),
      WRK_TRACK: options.trackAnswers ? '1' : '',
    };
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { env }, (error, out, err) =>
        error ? reject(new Error(`wrk failed: ${err || error.message}`)) : resolve(out),
      ),
    );
    const line = /^wrk-result (.*)$/m.exec(stdout)?.[1];
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const r = JSON.parse(line) as Omit<LoadResult, 'rps'> & { micros: number; answered?: Record<string, number> };
    return {
      requests: r.requests,
      errors: r.errors,
      non2xx: r.non2xx,
      rps: r.requests / (r.micros / 1e6),
      p50: r.p50,
      p99: r.p99,
      max: r.max,
      answered: options.trackAnswers
        ? Array.from({ length: HOT_KEYS }, (_, k) => Number(r.answered?.[String(k)] ?? 0))
        : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits with 1 after printing its usage; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
