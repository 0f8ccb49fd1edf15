/**
 * `npm run bench`: nest-sessions against express-session + connect-typeorm (the peer), the same
 * Nest app with no session (the ceiling), and the ceiling plus the fewest raw mysql2 queries each
 * route needs (the floor) — four apps of one shape, with the same three routes
 * (bench/apps/*.main.ts) — side by side on one MariaDB, alternating over several rounds. For
 * each server and route: requests/s, p50/p99 latency, CPU time per request — the server's, the
 * database server's (when it runs on this machine) and the whole machine's — and SQL statements
 * per request (medians over the rounds), and the ratios. Then 100,000 sessions made
 * through nest-sessions, with its heap before and after. Prints a table and writes
 * bench/results/http.json.
 *
 * BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_MARIADB_URL, BENCH_MEMORY_SESSIONS (100000).
 * The servers inherit NODE_OPTIONS, which the report prints.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, release } from 'node:os';
import mysql from 'mysql2/promise';
import { processIdFromFile, machineCpuMicros, processCpuMicros } from './support/cpu.js';
import { loadGenerator, runLoad, type LoadResult } from './support/load.js';
import { median } from './support/median.js';
import { startServer, type RunningServer } from './support/server.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const MEMORY_SESSIONS = Number(process.env.BENCH_MEMORY_SESSIONS ?? 100_000);
const SESSIONS_PER_SERVER = 256;
const serverUrl = new URL(process.env.BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
const DATABASE = 'nest_sessions_bench_http';

const SERVERS = {
  'nest-sessions': 'dist/bench/apps/ours.main.js',
  'express-session + connect-typeorm': 'dist/bench/apps/peer.main.js',
  'no session (ceiling)': 'dist/bench/apps/bare.main.js',
  'raw mysql2 queries (floor)': 'dist/bench/apps/floor.main.js',
} as const;
type ServerName = keyof typeof SERVERS;
const [OURS, PEER, CEILING, FLOOR] = Object.keys(SERVERS) as ServerName[];

interface Route {
  name: string;
  /** The request path; `{n}` becomes the request's number. */
  path: string;
  /** Whether the request carries one of the server's existing sessions. */
  withSession: boolean;
}
const ROUTES: Route[] = [
  { name: 'untouched (home page, with a session cookie)', path: '/', withSession: true },
  { name: 'read existing session', path: '/bench/get', withSession: true },
  { name: 'new-session write', path: '/bench/put?k=item&v={n}', withSession: false },
  { name: 'write to existing session', path: '/bench/put?k=item&v={n}', withSession: true },
];

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
  /** Requests that got no answer: connection errors and timeouts. */
  errors: number;
  /** Answers with a status outside 2xx. */
  non2xx: number;
}

async function main(): Promise<void> {
  const admin = await mysql.createConnection({ uri: serverUrl.toString() });
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.query(`CREATE DATABASE \`${DATABASE}\``);
  await admin.changeUser({ database: DATABASE });
  await admin.query(`CREATE TABLE peer_session (
    expiredAt bigint NOT NULL, id varchar(255) NOT NULL PRIMARY KEY, json text NOT NULL,
    destroyedAt datetime(6) NULL, KEY IDX_peer_session_expiredAt (expiredAt))`);
  const env = {
    DATABASE_URL: Object.assign(new URL(serverUrl), { pathname: `/${DATABASE}` }).toString(),
    SESSION_SECRET: randomBytes(32).toString('hex'),
  };
  const servers = {} as Record<ServerName, RunningServer>;
  for (const name of Object.keys(SERVERS) as ServerName[]) servers[name] = await startServer(env, SERVERS[name]);
  try {
    const cookies = {} as Record<ServerName, string[]>;
    for (const name of [OURS, PEER]) cookies[name] = await makeSessions(servers[name].url);
    // The ceiling keeps no sessions; its requests carry a cookie of the same size all the same.
    cookies[CEILING] = cookies[OURS].map(() => `sessionid=${randomBytes(16).toString('hex')}`);
    cookies[FLOOR] = await makeFloorRows(admin);
    const databasePid = await localDatabasePid(admin);
    const databaseCpu = databasePid === undefined ? undefined : () => processCpuMicros(databasePid);

    const samples = new Map<string, Sample[]>();
    const measure = async (name: ServerName, route: Route): Promise<Sample> => {
      const server = servers[name];
      const statementsBefore = await questions(admin);
      const [cpuBefore, databaseBefore, machineBefore] = [server.cpuMicros(), databaseCpu?.() ?? 0, machineCpuMicros()];
      const result: LoadResult = await runLoad({
        url: server.url,
        connections: CONNECTIONS,
        seconds: SECONDS,
        path: route.path,
        cookies: route.withSession ? cookies[name] : undefined,
      });
      const [cpu, machine] = [server.cpuMicros() - cpuBefore, machineCpuMicros() - machineBefore];
      const database = databaseCpu && databaseCpu() - databaseBefore;
      // The status query itself counts once.
      const statements = (await questions(admin)) - statementsBefore - 1;
      return {
        rps: result.rps,
        p50: result.p50,
        p99: result.p99,
        cpuMicrosPerRequest: cpu / result.requests,
        databaseCpuMicrosPerRequest: database === undefined ? undefined : database / result.requests,
        machineCpuMicrosPerRequest: machine / result.requests,
        statementsPerRequest: statements / result.requests,
        errors: result.errors,
        non2xx: result.non2xx,
      };
    };

    console.log(`warming up (${SECONDS} s per server and route)…`);
    for (const route of ROUTES) for (const name of Object.keys(SERVERS) as ServerName[]) await measure(name, route);
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round} of ${ROUNDS}…`);
      const order = Object.keys(SERVERS) as ServerName[];
      if (round % 2 === 0) order.reverse();
      for (const route of ROUTES) {
        for (const name of order) {
          const key = `${name}\u0000${route.name}`;
          samples.set(key, [...(samples.get(key) ?? []), await measure(name, route)]);
        }
      }
    }
    const memory = await measureMemory(env);
    report(samples, memory);
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
    await admin.end();
  }
}

/** Sessions made through `url`, as Cookie header values, for the routes that carry one. */
async function makeSessions(url: string): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < SESSIONS_PER_SERVER; i++) {
    const res = await fetch(`${url}/bench/put?k=user&v=${i}`);
    const cookie = res.headers.getSetCookie().find((line) => /^(sessionid|connect\.sid)=/.test(line));
    if (!cookie) throw new Error(`${url} set no session cookie: ${res.status} ${await res.text()}`);
    cookies.push(cookie.split(';')[0]);
  }
  return cookies;
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

async function questions(db: mysql.Connection): Promise<number> {
  const [[row]] = await db.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number(row.Value);
}

/** 100,000 sessions made through a fresh nest-sessions server: its heap before and after. */
async function measureMemory(env: Record<string, string>): Promise<{ sessions: number; before: number; after: number }> {
  console.log(`making ${MEMORY_SESSIONS.toLocaleString('en-US')} sessions for the heap check…`);
  const server = await startServer(env, SERVERS[OURS], { heapProbe: true });
  try {
    await runLoad({ url: server.url, connections: CONNECTIONS, seconds: 2, path: '/bench/put?k=w&v={n}' });
    const before = await server.heapUsed();
    let made = 0;
    while (made < MEMORY_SESSIONS) {
      const result = await runLoad({ url: server.url, connections: CONNECTIONS, seconds: 5, path: '/bench/put?k=m&v={n}' });
      made += result.requests - result.errors - result.non2xx;
    }
    const after = await server.heapUsed();
    return { sessions: made, before, after };
  } finally {
    await server.stop();
  }
}

function report(samples: Map<string, Sample[]>, memory: { sessions: number; before: number; after: number }): void {
  const summary = (name: ServerName, route: Route) => {
    const runs = samples.get(`${name}\u0000${route.name}`)!;
    return {
      rps: median(runs.map((s) => s.rps)),
      p50: median(runs.map((s) => s.p50)),
      p99: median(runs.map((s) => s.p99)),
      cpu: median(runs.map((s) => s.cpuMicrosPerRequest)),
      database: runs[0].databaseCpuMicrosPerRequest === undefined ? undefined : median(runs.map((s) => s.databaseCpuMicrosPerRequest!)),
      machine: median(runs.map((s) => s.machineCpuMicrosPerRequest)),
      statements: median(runs.map((s) => s.statementsPerRequest)),
      errors: runs.reduce((sum, s) => sum + s.errors, 0),
      non2xx: runs.reduce((sum, s) => sum + s.non2xx, 0),
    };
  };
  const rows = ROUTES.flatMap((route) =>
    (Object.keys(SERVERS) as ServerName[]).map((name) => {
      const s = summary(name, route);
      const ours = summary(OURS, route);
      return {
        route: route.name,
        server: name,
        'req/s': Math.round(s.rps),
        'p50 ms': s.p50,
        'p99 ms': s.p99,
        'CPU µs/req': Math.round(s.cpu),
        'DB CPU µs/req': s.database === undefined ? '' : Math.round(s.database),
        'all CPU µs/req': Math.round(s.machine),
        'SQL/req': s.statements.toFixed(2),
        'no answer': s.errors,
        'non-2xx': s.non2xx,
        'ours ÷ this (req/s)': name === OURS ? '' : (ours.rps / s.rps).toFixed(2),
        'ours − this (CPU µs)': name === OURS ? '' : Math.round(ours.cpu - s.cpu),
      };
    }),
  );
  console.table(rows);
  const heap = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
  console.log(
    `heap of nest-sessions after a full GC: ${heap(memory.before)} before, ${heap(memory.after)} after ` +
      `${memory.sessions.toLocaleString('en-US')} new sessions`,
  );
  // The servers inherit NODE_OPTIONS (e.g. --max-semi-space-size); it belongs with the figures.
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, nodeOptions, kernel: `${release()} ${arch()}` };
  console.log(
    `machine: ${machine.cores} × ${machine.cpu}, Node ${machine.node}${nodeOptions && ` (NODE_OPTIONS=${nodeOptions})`}; ` +
      `${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections, ${loadGenerator}`,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/http.json',
    JSON.stringify({ date: new Date().toISOString(), machine, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, loadGenerator, rows, memory }, null, 2),
  );
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
