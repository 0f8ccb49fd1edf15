/**
 * `npm run bench:instructions`: the session cost in instructions rather than CPU time. Each
 * server of `npm run bench` named in BENCH_SERVERS runs under valgrind's callgrind, which counts
 * the instructions the process executes (all of its threads: JIT, GC, libuv) whatever else the
 * machine does, so that two runs agree where CPU times differ by tens of percent. BENCH_WARM
 * (3000) requests of every route warm the JIT; then each route gets BENCH_ROUNDS (3) counts of
 * BENCH_REQUESTS (1000) requests, over BENCH_CONNECTIONS (4) keep-alive connections. It prints
 * the instructions per request (the median count, and every count) and each server's cost above
 * the ceiling.
 *
 * BENCH_SERVERS (default `ceiling,cache,peer-redis,redis-floor,ours`) and BENCH_ROUTES (`read,new,write`);
 * the hot route is left out, as how its writes coalesce depends on timing, which valgrind slows
 * fifty-fold. Needs valgrind (`apt-get install -y valgrind`), MariaDB and Redis as `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { benchDatabase } from './support/database.js';
import { requestPath } from './support/load.js';
import { median } from './support/median.js';
import { pick } from './support/pick.js';
import { ALL_ROUTES } from './support/routes.js';
import { ALL_SERVERS, type BenchServer, type ServerId } from './support/servers.js';
import { startServer, type RunningServer } from './support/server.js';
import { makeRedisFloorKeys, makeSessions, randomSessionCookie } from './support/sessions.js';

const WARM = Number(process.env.BENCH_WARM ?? 3000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const SESSIONS = 64;
const serverUrl = new URL(process.env.BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const DATABASE = 'nest_sessions_bench_instructions';

/** The servers and routes of `npm run bench` that this counts. */
const SERVERS = ['ceiling', 'cache', 'peer-redis', 'redis-floor', 'ours'] as const satisfies readonly ServerId[];
type CountedServer = (typeof SERVERS)[number];
const ROUTES = ['read', 'new', 'write'] as const;
type RouteId = (typeof ROUTES)[number];

const SERVER_IDS = pick('BENCH_SERVERS', SERVERS.join(','), SERVERS);
const ROUTE_IDS = pick('BENCH_ROUTES', ROUTES.join(','), ROUTES);

/** `count` requests of `path` (`{n}` numbered from `first`) over CONNECTIONS connections, cookies in turn. */
async function send(url: string, path: string, count: number, first: number, cookies: string[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const n = first + next++;
      const cookie = cookies.length ? { cookie: cookies[n % cookies.length] } : undefined;
      http
        .get(`${url}${requestPath(path, n)}`, { agent, headers: cookie }, (res) => {
          res.resume();
          res.on('end', () =>
            (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`${path}: status ${res.statusCode}`)),
          );
        })
        .on('error', reject);
    });
  const connection = async () => {
    while (next < count) await one();
  };
  try {
    await Promise.all(Array.from({ length: CONNECTIONS }, connection));
  } finally {
    agent.destroy();
  }
}

/** The instructions callgrind counted in `pid` since its last zeroing, read from a dump made now. */
function countedInstructions(pid: number, directory: string): number {
  const before = new Set(readdirSync(directory));
  execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
  const dump = readdirSync(directory).find((file) => !before.has(file));
  if (!dump) throw new Error('callgrind wrote no dump');
  const summary = /^summary: (\d+)$/m.exec(readFileSync(join(directory, dump), 'utf8'));
  if (!summary) throw new Error(`no summary line in ${dump}`);
  return Number(summary[1]);
}

/** Sends `route`'s requests: `count` of them, numbered from `first`. */
function sendRoute(server: RunningServer, route: RouteId, count: number, first: number, cookies: string[]) {
  const { path, withSession } = ALL_ROUTES[route];
  return send(server.url, path, count, first, withSession ? cookies : []);
}

/** ROUNDS counts of the instructions per request of `route` on `server` (warmed up already). */
async function measure(server: RunningServer, directory: string, route: RouteId, cookies: string[]): Promise<number[]> {
  const counts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    execFileSync('callgrind_control', ['--zero', String(server.process.pid)], { stdio: 'ignore' });
    await sendRoute(server, route, REQUESTS, WARM + 1 + round * REQUESTS, cookies);
    counts.push(countedInstructions(server.process.pid!, directory) / REQUESTS);
  }
  return counts;
}

async function main(): Promise<void> {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('valgrind is not installed: apt-get install -y valgrind');
  }
  const database = await benchDatabase(serverUrl, DATABASE);
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  await redis.flushDb();
  const env = { DATABASE_URL: database.url, REDIS_URL, SESSION_SECRET: randomBytes(32).toString('hex') };
  const results = new Map<CountedServer, Map<RouteId, number[]>>();
  try {
    for (const id of SERVER_IDS) {
      const server: BenchServer = ALL_SERVERS[id];
      const directory = mkdtempSync(join(tmpdir(), 'callgrind-'));
      const under = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${directory}/out`, '--dump-line=no'];
      console.log(`${server.name}: starting under callgrind…`);
      const running = await startServer({ ...env, ...server.env }, server.script, { under });
      try {
        // As `npm run bench` gives them: the Redis floor its own keys, a ceiling cookies of a session's size.
        const cookies =
          id === 'redis-floor'
            ? await makeRedisFloorKeys(redis, SESSIONS)
            : server.sessionless
              ? Array.from({ length: SESSIONS }, randomSessionCookie)
              : await makeSessions(running.url, SESSIONS);
        // Every route warms up before any is counted: the JIT compiles code the routes share.
        for (const route of ROUTE_IDS) await sendRoute(running, route, WARM, 1, cookies);
        const counts = new Map<RouteId, number[]>();
        for (const route of ROUTE_IDS) counts.set(route, await measure(running, directory, route, cookies));
        results.set(id, counts);
      } finally {
        await running.stop();
        rmSync(directory, { recursive: true, force: true });
      }
    }
  } finally {
    await redis.flushDb();
    redis.destroy();
    await database.drop();
  }
  report(results);
}

function report(results: Map<CountedServer, Map<RouteId, number[]>>): void {
  const thousands = (value: number) => `${(value / 1000).toFixed(1)}k`;
  for (const route of ROUTE_IDS) {
    const perRequest = (id: CountedServer) => {
      const counts = results.get(id)?.get(route);
      return counts && median(counts);
    };
    const base = perRequest('ceiling');
    const cost = (id: CountedServer) => {
      const count = perRequest(id);
      return count === undefined || base === undefined ? undefined : count - base;
    };
    console.table(
      [...results].map(([id, counts]) => ({
        route,
        server: ALL_SERVERS[id].name,
        'instructions/req': thousands(perRequest(id)!),
        rounds: counts.get(route)!.map(thousands).join(' / '),
        'above the ceiling': id === 'ceiling' || cost(id) === undefined ? '' : thousands(cost(id)!),
      })),
    );
    const [ours, theirs] = [cost('cache'), cost('peer-redis')];
    if (ours !== undefined && theirs !== undefined) {
      const ratio = theirs / ours;
      const verdict = ratio >= 3 ? 'met' : 'missed';
      console.log(`${route}: connect-redis's session cost ${ratio.toFixed(2)}× cache's (goal ≥ 3×: ${verdict})`);
    }
  }
  console.log(
    `Node ${process.version}, valgrind callgrind; ${WARM} warm-up requests a route, then ${ROUNDS} counts of ${REQUESTS} requests (median), ${CONNECTIONS} connections`,
  );
}

await main();
