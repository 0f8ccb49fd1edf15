/**
 * `npm run bench`: nest-sessions against express-session + connect-typeorm (the peer), the same
 * Nest app with no session (the ceiling), and the ceiling plus the fewest raw mysql2 queries each
 * route needs (the floor); and nest-sessions on Redis (`cache` and `cached_db`) against
 * express-session + connect-redis, and on PostgreSQL against express-session + connect-pg-simple —
 * apps of one shape, with the same routes (bench/apps/*.main.ts) — side by side on one MariaDB,
 * one PostgreSQL and one Redis, alternating over several rounds. For
 * each server and route: requests/s, p50/p99 latency, CPU time per request — the server's, the
 * database server's (when it runs on this machine) and the whole machine's — and SQL statements
 * and Redis commands per request (medians over the rounds), and the ratios. Then 100,000 sessions made
 * through nest-sessions, with its heap before and after. Prints a table and writes
 * bench/results/http.json.
 *
 * BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_MARIADB_URL, BENCH_POSTGRES_URL,
 * BENCH_REDIS_URL,
 * BENCH_MEMORY_SESSIONS (100000; 0 skips the heap check). BENCH_SERVERS picks servers by id
 * (default `ours,peer,ceiling,floor,cache,cached,peer-redis,pg,peer-pg`;
 * `store`, the library's store alone, `rolling` and `touched`, nest-sessions with
 * saveEveryRequest without and with touchAfter, and `fastify`, `fastify-ceiling` and
 * `peer-fastify`, nest-sessions, no session and @fastify/session on Nest's FastifyAdapter, and
 * `redis-floor`, the ceiling plus the fewest plain node-redis commands each route needs, run
 * only when named) and BENCH_ROUTES routes (default
 * `untouched,read,new,write,hot`), for a closer look at a few of them. On `hot`, every connection
 * writes one shared session (256 keys in turn), and the report counts the keys whose last writes
 * were lost. The servers inherit
 * NODE_OPTIONS, which the report prints.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, release } from 'node:os';
import mysql from 'mysql2/promise';
import { createClient } from 'redis';
import { processIdFromFile, machineCpuMicros, processCpuMicros } from './support/cpu.js';
import { loadGenerator, runLoad, type LoadResult } from './support/load.js';
import { benchDatabase } from './support/database.js';
import { benchPostgres } from './support/postgres.js';
import { median } from './support/median.js';
import { pick } from './support/pick.js';
import { ALL_ROUTES, type Route } from './support/routes.js';
import { ALL_SERVERS, type BenchServer, type ServerId } from './support/servers.js';
import { startServer, type RunningServer } from './support/server.js';
import { makeRedisFloorKeys, makeSession, makeSessions, randomSessionCookie } from './support/sessions.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const MEMORY_SESSIONS = Number(process.env.BENCH_MEMORY_SESSIONS ?? 100_000);
const SESSIONS_PER_SERVER = 256;
const serverUrl = new URL(process.env.BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
const postgresUrl = new URL(process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
// A Redis database of the bench's own, emptied before and after.
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const DATABASE = 'nest_sessions_bench_http';

// nest-sessions always runs: every ratio is taken against it.
const SERVER_IDS = [
  'ours',
  ...pick('BENCH_SERVERS', 'ours,peer,ceiling,floor,cache,cached,peer-redis,pg,peer-pg', Object.keys(ALL_SERVERS)),
].filter((id, index, ids) => ids.indexOf(id) === index) as ServerId[];
const ROUTES = pick('BENCH_ROUTES', 'untouched,read,new,write,hot', Object.keys(ALL_ROUTES)).map(
  (id) => ALL_ROUTES[id],
);

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  cpuMicrosPerRequest: number;
  /** The database server's CPU time per request, when it runs on this machine. */
  databaseCpuMicrosPerRequest: number | undefined;
  /** All cores' busy time per request: server, database, load generator and kernel. */
  machineCpuMicrosPerRequest: number;
  statementsPerRequest: number;
  /**
   * Redis commands per request (all servers share the bench's Redis), as Redis counts them:
   * the commands a script runs count beside the script's own call.
   */
  redisCommandsPerRequest: number;
  /** Requests that got no answer: connection errors and timeouts. */
  errors: number;
  /** Answers with a status outside 2xx. */
  non2xx: number;
  /**
   * On the hot route: keys of the shared session whose value is older than the last writes to
   * them can explain — writes answered 2xx and then lost. Undefined elsewhere.
   */
  lostKeys: number | undefined;
}

async function main(): Promise<void> {
  const database = await benchDatabase(serverUrl, DATABASE);
  const admin = database.admin;
  await admin.query(`CREATE TABLE peer_session (
    expiredAt bigint NOT NULL, id varchar(255) NOT NULL PRIMARY KEY, json text NOT NULL,
    destroyedAt datetime(6) NULL, KEY IDX_peer_session_expiredAt (expiredAt))`);
  const onPostgres = (id: ServerId) => (ALL_SERVERS[id] as BenchServer).postgres === true;
  const sessionless = (id: ServerId) => (ALL_SERVERS[id] as BenchServer).sessionless === true;
  const postgres = SERVER_IDS.some(onPostgres) ? await benchPostgres(postgresUrl, DATABASE) : undefined;
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  await redis.flushDb();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL,
    SESSION_SECRET: randomBytes(32).toString('hex'),
  };
  const servers = {} as Record<ServerId, RunningServer>;
  for (const id of SERVER_IDS) {
    const server: BenchServer = ALL_SERVERS[id];
    const databaseUrl = server.postgres ? { DATABASE_URL: postgres!.url } : {};
    servers[id] = await startServer({ ...env, ...databaseUrl, ...server.env }, server.script);
  }
  try {
    const cookies = {} as Record<ServerId, string[]>;
    for (const id of SERVER_IDS) {
      if (id === 'floor') cookies[id] = await makeFloorRows(admin);
      else if (id === 'redis-floor') cookies[id] = await makeRedisFloorKeys(redis, SESSIONS_PER_SERVER);
      // A ceiling keeps no sessions; its requests carry a cookie of the same size all the same.
      else if (sessionless(id)) cookies[id] = Array.from({ length: SESSIONS_PER_SERVER }, randomSessionCookie);
      else cookies[id] = await makeSessions(servers[id].url, SESSIONS_PER_SERVER);
    }
    const databasePid = await localDatabasePid(admin);
    const databaseCpu = databasePid === undefined ? undefined : () => processCpuMicros(databasePid);

    const samples = new Map<string, Sample[]>();
    const measure = async (id: ServerId, route: Route): Promise<Sample> => {
      const server = servers[id];
      // Statements of the database the server uses: MariaDB's count, or PostgreSQL's transactions.
      const statementCount = onPostgres(id) ? () => postgres!.transactions() : () => questions(admin);
      const serverDatabaseCpu = onPostgres(id) ? () => postgres!.cpuMicros() : databaseCpu;
      const statementsBefore = await statementCount();
      const redisBefore = await redisCommands(redis);
      const shared = route.withSession === 'shared' && !sessionless(id) ? await makeSession(server.url, 0) : undefined;
      const [cpuBefore, databaseBefore, machineBefore] = [
        server.cpuMicros(),
        serverDatabaseCpu?.() ?? 0,
        machineCpuMicros(),
      ];
      const result: LoadResult = await runLoad({
        url: server.url,
        connections: CONNECTIONS,
        seconds: SECONDS,
        path: route.path,
        cookies: shared ? [shared] : route.withSession ? cookies[id] : undefined,
        trackAnswers: shared !== undefined,
      });
      const [cpu, machine] = [server.cpuMicros() - cpuBefore, machineCpuMicros() - machineBefore];
      const database = serverDatabaseCpu && serverDatabaseCpu() - databaseBefore;
      // MariaDB's status query itself counts once; PostgreSQL's runs in another database.
      const statements = (await statementCount()) - statementsBefore - (onPostgres(id) ? 0 : 1);
      // The INFO of the count before counts once.
      const redisCommandCount = (await redisCommands(redis)) - redisBefore - 1;
      return {
        rps: result.rps,
        p50: result.p50,
        p99: result.p99,
        cpuMicrosPerRequest: cpu / result.requests,
        databaseCpuMicrosPerRequest: database === undefined ? undefined : database / result.requests,
        machineCpuMicrosPerRequest: machine / result.requests,
        statementsPerRequest: statements / result.requests,
        redisCommandsPerRequest: redisCommandCount / result.requests,
        errors: result.errors,
        non2xx: result.non2xx,
        lostKeys: shared && result.answered ? await lostKeys(server.url, shared, result.answered) : undefined,
      };
    };

    console.log(`warming up (${SECONDS} s per server and route)…`);
    for (const route of ROUTES) for (const id of SERVER_IDS) await measure(id, route);
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round} of ${ROUNDS}…`);
      const order = [...SERVER_IDS];
      if (round % 2 === 0) order.reverse();
      for (const route of ROUTES) {
        for (const id of order) {
          const key = `${id}\u0000${route.name}`;
          samples.set(key, [...(samples.get(key) ?? []), await measure(id, route)]);
        }
      }
    }
    const memory = MEMORY_SESSIONS > 0 ? await measureMemory(env) : undefined;
    report(samples, memory);
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    await database.drop();
    await postgres?.drop();
    await redis.flushDb();
    redis.destroy();
  }
}

/**
 * How many of the hot route's keys lost a write the server answered: request n wrote
 * `h{(n - 1) % HOT_KEYS}` = n and answered n, so a key holding less than the highest n
 * answered for it (`answered`) lost that write. A write still unanswered when the load stopped
 * counts for nothing, whether the server kept it or not.
 */
async function lostKeys(url: string, cookie: string, answered: number[]): Promise<number> {
  const data = (await (await fetch(`${url}/bench/get`, { headers: { cookie } })).json()) as Record<string, unknown>;
  return answered.filter((last, k) => last > 0 && Number(data[`h${k}`] ?? 0) < last).length;
}

/**
 * Rows of the floor's own in the session table, as Cookie header values: the floor's writes then
 * leave the rows of nest-sessions alone.
 */
async function makeFloorRows(db: mysql.Connection): Promise<string[]> {
  const keys = Array.from({ length: SESSIONS_PER_SERVER }, () => randomBytes(16).toString('hex'));
  await db.query('INSERT INTO session (session_key, session_data, expire_date, version) VALUES ?', [
    keys.map((key) => [key, '{}', '2099-01-01 00:00:00', 0]),
  ]);
  return keys.map((key) => `sessionid=${key}`);
}

/** The MariaDB server's process id when it runs on this machine, to read its CPU time. */
async function localDatabasePid(db: mysql.Connection): Promise<number | undefined> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(serverUrl.hostname)) return undefined;
  const [[row]] = await db.query<mysql.RowDataPacket[]>('SELECT @@pid_file AS pidFile');
  return processIdFromFile(row.pidFile as string | undefined);
}

/** Commands the bench's Redis has run since it started. */
async function redisCommands(redis: { info(section: string): Promise<string> }): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
}

async function questions(db: mysql.Connection): Promise<number> {
  const [[row]] = await db.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number(row.Value);
}

/** 100,000 sessions made through a fresh nest-sessions server: its heap before and after. */
async function measureMemory(
  env: Record<string, string>,
): Promise<{ sessions: number; before: number; after: number }> {
  console.log(`making ${MEMORY_SESSIONS.toLocaleString('en-US')} sessions for the heap check…`);
  const server = await startServer(env, ALL_SERVERS.ours.script, { heapProbe: true });
  try {
    await runLoad({ url: server.url, connections: CONNECTIONS, seconds: 2, path: '/bench/put?k=w&v={n}' });
    const before = await server.heapUsed();
    let made = 0;
    while (made < MEMORY_SESSIONS) {
      const result = await runLoad({
        url: server.url,
        connections: CONNECTIONS,
        seconds: 5,
        path: '/bench/put?k=m&v={n}',
      });
      made += result.requests - result.errors - result.non2xx;
    }
    const after = await server.heapUsed();
    return { sessions: made, before, after };
  } finally {
    await server.stop();
  }
}

function report(
  samples: Map<string, Sample[]>,
  memory: { sessions: number; before: number; after: number } | undefined,
): void {
  const summary = (id: ServerId, route: Route) => {
    const runs = samples.get(`${id}\u0000${route.name}`)!;
    return {
      rps: median(runs.map((s) => s.rps)),
      p50: median(runs.map((s) => s.p50)),
      p99: median(runs.map((s) => s.p99)),
      cpu: median(runs.map((s) => s.cpuMicrosPerRequest)),
      database:
        runs[0].databaseCpuMicrosPerRequest === undefined
          ? undefined
          : median(runs.map((s) => s.databaseCpuMicrosPerRequest!)),
      machine: median(runs.map((s) => s.machineCpuMicrosPerRequest)),
      statements: median(runs.map((s) => s.statementsPerRequest)),
      redis: median(runs.map((s) => s.redisCommandsPerRequest)),
      errors: runs.reduce((sum, s) => sum + s.errors, 0),
      non2xx: runs.reduce((sum, s) => sum + s.non2xx, 0),
      lost: runs[0].lostKeys === undefined ? undefined : runs.reduce((sum, s) => sum + s.lostKeys!, 0),
    };
  };
  const rows = ROUTES.flatMap((route) =>
    SERVER_IDS.map((id) => {
      const s = summary(id, route);
      const ours = summary('ours', route);
      return {
        route: route.name,
        server: ALL_SERVERS[id].name,
        'req/s': Math.round(s.rps),
        'p50 ms': s.p50,
        'p99 ms': s.p99,
        'CPU µs/req': Math.round(s.cpu),
        'DB CPU µs/req': s.database === undefined ? '' : Math.round(s.database),
        'all CPU µs/req': Math.round(s.machine),
        'SQL/req': s.statements.toFixed(2),
        'Redis cmds/req': s.redis.toFixed(2),
        'no answer': s.errors,
        'non-2xx': s.non2xx,
        'lost keys': s.lost === undefined ? '' : s.lost,
        'ours ÷ this (req/s)': id === 'ours' ? '' : (ours.rps / s.rps).toFixed(2),
        'ours − this (CPU µs)': id === 'ours' ? '' : Math.round(ours.cpu - s.cpu),
      };
    }),
  );
  console.table(rows);
  printRedisGoals(summary);
  printPostgresGoals(summary);
  printFastifyGoals(summary);
  const heap = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
  if (memory) {
    console.log(
      `heap of nest-sessions after a full GC: ${heap(memory.before)} before, ${heap(memory.after)} after ` +
        `${memory.sessions.toLocaleString('en-US')} new sessions`,
    );
  }
  // The servers inherit NODE_OPTIONS (e.g. --max-semi-space-size); it belongs with the figures.
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  const machine = {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    node: process.version,
    nodeOptions,
    kernel: `${release()} ${arch()}`,
  };
  console.log(
    `machine: ${machine.cores} × ${machine.cpu}, Node ${machine.node}${nodeOptions && ` (NODE_OPTIONS=${nodeOptions})`}; ` +
      `${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections, ${loadGenerator}`,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/http.json',
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        rounds: ROUNDS,
        seconds: SECONDS,
        connections: CONNECTIONS,
        loadGenerator,
        rows,
        memory,
      },
      null,
      2,
    ),
  );
}

/** A ratio, and its verdict against `least` when the route has a goal. */
function shown(ratio: number, unit: string, least?: number): string {
  const verdict = least === undefined ? '' : ` (goal ≥ ${least}${unit}: ${ratio >= least ? 'met' : 'missed'})`;
  return `${ratio.toFixed(2)}${unit}${verdict}`;
}

/** The goals of `cache` against the ceiling, by route: of its requests/s. */
const CACHE_CEILING_GOALS = new Map<Route, number>([
  [ALL_ROUTES.read, 0.9],
  [ALL_ROUTES.new, 0.75],
  [ALL_ROUTES.write, 0.75],
]);

/**
 * The Redis store against its goals, when its servers ran: `cache`'s session cost (its
 * server's CPU per request above the ceiling's) at most a third of connect-redis's on every
 * session route (connect-redis's at least 3× ours), `cache` at 0.9 of the ceiling on read and
 * 0.75 on new and write, no write lost on `hot`; and `cached_db` reads against `cache` reads.
 * With `ours`, nest-sessions on MariaDB at 0.8 of the ceiling on read.
 */
function printRedisGoals(
  summary: (id: ServerId, route: Route) => { rps: number; cpu: number; lost: number | undefined },
): void {
  const ran = (id: ServerId) => SERVER_IDS.includes(id);
  const ceilingOf = (route: Route) => (ran('ceiling') ? summary('ceiling', route) : undefined);
  if (ran('ours') && ROUTES.includes(ALL_ROUTES.read) && ceilingOf(ALL_ROUTES.read)) {
    const ratio = summary('ours', ALL_ROUTES.read).rps / ceilingOf(ALL_ROUTES.read)!.rps;
    console.log(`MariaDB on ${ALL_ROUTES.read.name}: ${shown(ratio, '', 0.8)} of the ceiling`);
  }
  if (!ran('cache')) return;
  for (const route of ROUTES) {
    const cache = summary('cache', route);
    const peer = ran('peer-redis') ? summary('peer-redis', route) : undefined;
    const ceiling = ceilingOf(route);
    const sessionRoute = route !== ALL_ROUTES.untouched;
    const parts = [];
    if (peer) parts.push(`${(cache.rps / peer.rps).toFixed(2)}× connect-redis`);
    if (ceiling) parts.push(`${shown(cache.rps / ceiling.rps, '', CACHE_CEILING_GOALS.get(route))} of the ceiling`);
    if (peer && ceiling) {
      const cost = (cpu: number) => Math.round(cpu - ceiling.cpu);
      const [ours, theirs] = [cost(cache.cpu), cost(peer.cpu)];
      const ratio = ours > 0 ? `; connect-redis's ${shown(theirs / ours, '×', sessionRoute ? 3 : undefined)} ours` : '';
      parts.push(`session CPU above the ceiling ${ours} µs, connect-redis ${theirs} µs${ratio}`);
    }
    if (ceiling && ran('redis-floor')) {
      parts.push(`the Redis floor's ${Math.round(summary('redis-floor', route).cpu - ceiling.cpu)} µs`);
    }
    if (ran('cached')) parts.push(`cached_db ${(summary('cached', route).rps / cache.rps).toFixed(2)} of cache`);
    if (cache.lost !== undefined) {
      const met = cache.lost === 0 ? 'met' : 'missed';
      parts.push(`lost keys ${cache.lost} (goal 0: ${met}; connect-redis ${peer?.lost ?? '–'})`);
    }
    console.log(`cache on ${route.name}: ${parts.join(', ')}`);
  }
}

/**
 * The PostgreSQL store's ratios, when its servers ran: against express-session +
 * connect-pg-simple on the same database, and each one's session cost (its server's CPU per
 * request above the ceiling's) when the ceiling ran too.
 */
function printPostgresGoals(
  summary: (id: ServerId, route: Route) => { rps: number; cpu: number; lost: number | undefined },
): void {
  const ran = (id: ServerId) => SERVER_IDS.includes(id);
  if (!ran('pg') || !ran('peer-pg')) return;
  for (const route of ROUTES) {
    const [ours, peer] = [summary('pg', route), summary('peer-pg', route)];
    const parts = [`${(ours.rps / peer.rps).toFixed(2)}× connect-pg-simple`];
    if (ran('ceiling')) {
      const ceiling = summary('ceiling', route);
      const [mine, theirs] = [Math.round(ours.cpu - ceiling.cpu), Math.round(peer.cpu - ceiling.cpu)];
      parts.push(`session CPU above the ceiling ${mine} µs, connect-pg-simple ${theirs} µs`);
    }
    if (ours.lost !== undefined) parts.push(`lost keys ${ours.lost} (connect-pg-simple ${peer.lost ?? '–'})`);
    console.log(`PostgreSQL on ${route.name}: ${parts.join(', ')}`);
  }
}

/**
 * nest-sessions on Fastify against its goals, when its servers ran: of the Fastify ceiling on
 * read, against @fastify/session (same store as the Express peer) on read, new and write, against
 * nest-sessions on Express on those routes, and no write lost on `hot`; with each one's session
 * cost, its server's CPU per request above the Fastify ceiling's.
 */
function printFastifyGoals(
  summary: (id: ServerId, route: Route) => { rps: number; cpu: number; lost: number | undefined },
): void {
  const ran = (id: ServerId) => SERVER_IDS.includes(id);
  if (!ran('fastify')) return;
  for (const route of ROUTES) {
    const ours = summary('fastify', route);
    const sessionRoute = [ALL_ROUTES.read, ALL_ROUTES.new, ALL_ROUTES.write].includes(route);
    const parts = [];
    if (ran('fastify-ceiling')) {
      const ceiling = summary('fastify-ceiling', route);
      const least = route === ALL_ROUTES.read ? 0.85 : undefined;
      parts.push(`${shown(ours.rps / ceiling.rps, '', least)} of the Fastify ceiling`);
      const cost = (cpu: number) => Math.round(cpu - ceiling.cpu);
      const peer = ran('peer-fastify') ? `, @fastify/session ${cost(summary('peer-fastify', route).cpu)} µs` : '';
      parts.push(`session CPU above the Fastify ceiling ${cost(ours.cpu)} µs${peer}`);
    }
    if (ran('peer-fastify')) {
      const ratio = ours.rps / summary('peer-fastify', route).rps;
      parts.push(`${shown(ratio, '×', sessionRoute ? 2 : undefined)} @fastify/session`);
    }
    const onExpress = ours.rps / summary('ours', route).rps;
    parts.push(`${shown(onExpress, '×', sessionRoute ? 1.3 : undefined)} nest-sessions on Express`);
    if (ours.lost !== undefined) {
      const peerLost = ran('peer-fastify') ? summary('peer-fastify', route).lost : '–';
      const met = ours.lost === 0 ? 'met' : 'missed';
      parts.push(`lost keys ${ours.lost} (goal 0: ${met}; @fastify/session ${peerLost})`);
    }
    console.log(`Fastify on ${route.name}: ${parts.join(', ')}`);
  }
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
