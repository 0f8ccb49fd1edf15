/**
 * `npm run bench:storm`: does one busy session slow everybody else down? Two demo servers on one
 * MariaDB database. A client writes its own session on server B, one request at a time, first
 * alone (idle), then while STORM_WRITERS parallel requests write distinct keys to one 60 KB
 * session on server A (beside). Prints the other client's p50/p99 in both phases and their
 * ratio, how many storm writes were answered 2xx and kept, and how many bytes MariaDB received.
 * Several rounds; medians.
 *
 * STORM_ROUNDS (5), STORM_WRITERS (300), BENCH_MARIADB_URL.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { benchDatabase } from './support/database.js';
import { median } from './support/median.js';
import { startServer, type RunningServer } from './support/server.js';

const ROUNDS = Number(process.env.STORM_ROUNDS ?? 5);
const WRITERS = Number(process.env.STORM_WRITERS ?? 300);
const IDLE_WRITES = 100;
const serverUrl = new URL(process.env.BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
const DATABASE = 'nest_sessions_bench_storm';

interface Round {
  idleP50: number;
  idleP99: number;
  besideP50: number;
  besideP99: number;
  besideWrites: number;
  stormOk: number;
  stormKept: number;
  megabytesReceived: number;
}

async function main(): Promise<void> {
  const database = await benchDatabase(serverUrl, DATABASE);
  const admin = database.admin;
  const env = {
    DATABASE_URL: database.url,
    SESSION_SECRET: randomBytes(32).toString('hex'),
  };
  // One after the other: the first brings the schema up to date.
  const servers: RunningServer[] = [];
  try {
    for (let i = 0; i < 2; i++) servers.push(await startServer(env));
    const [a, b] = servers.map((server) => server.url);
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round} of ${ROUNDS}…`);
      rounds.push(await runRound(admin, a, b));
    }
    const m = (pick: (r: Round) => number) => median(rounds.map(pick));
    console.table([
      {
        'idle p50 ms': m((r) => r.idleP50).toFixed(1),
        'idle p99 ms': m((r) => r.idleP99).toFixed(1),
        'beside p50 ms': m((r) => r.besideP50).toFixed(1),
        'beside p99 ms': m((r) => r.besideP99).toFixed(1),
        'p99 beside ÷ idle': (m((r) => r.besideP99) / m((r) => r.idleP99)).toFixed(2),
        'other writes beside': m((r) => r.besideWrites),
        [`storm 2xx of ${WRITERS}`]: m((r) => r.stormOk),
        'storm writes kept': m((r) => r.stormKept),
        'MB into MariaDB': m((r) => r.megabytesReceived).toFixed(1),
      },
    ]);
    console.log(`${ROUNDS} rounds (medians), ${WRITERS} writers on one 60 KB session; Node ${process.version}`);
  } finally {
    for (const server of servers) await server.stop();
    await database.drop();
  }
}

async function runRound(admin: mysql.Connection, a: string, b: string): Promise<Round> {
  const get = (url: string, path: string, cookie?: string) =>
    fetch(`${url}${path}`, { headers: cookie ? { cookie } : {} });
  const cookieOf = (res: Response) => res.headers.getSetCookie()[0].split(';')[0];
  const big = cookieOf(await get(a, `/bench/put?k=big0&v=${'x'.repeat(10_000)}`));
  for (let i = 1; i < 6; i++) await get(a, `/bench/put?k=big${i}&v=${'x'.repeat(10_000)}`, big);
  const other = cookieOf(await get(b, '/bench/put?k=other&v=0'));
  let n = 0;
  const otherWrite = async (): Promise<number> => {
    const started = performance.now();
    const res = await get(b, `/bench/put?k=o${n++ % 100}&v=${n}`, other);
    if (res.status !== 200) throw new Error(`the other client's write got ${res.status}`);
    await res.arrayBuffer();
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) await otherWrite(); // warm-up
  const idle: number[] = [];
  for (let i = 0; i < IDLE_WRITES; i++) idle.push(await otherWrite());

  const receivedBefore = await bytesReceived(admin);
  let stormDone = false;
  const { started, statuses: storm } = stormFrom(a, big);
  void storm.finally(() => (stormDone = true));
  await started;
  const beside: number[] = [];
  while (!stormDone) beside.push(await otherWrite());
  const statuses = await storm;
  const megabytesReceived = ((await bytesReceived(admin)) - receivedBefore) / 1e6;
  const data = (await (await get(b, '/bench/get', big)).json()) as Record<string, string>;
  const stormKept = Array.from({ length: WRITERS }, (_, i) => data[`s${i}`] === String(i)).filter(Boolean).length;
  return {
    idleP50: percentile(idle, 0.5),
    idleP99: percentile(idle, 0.99),
    besideP50: percentile(beside, 0.5),
    besideP99: percentile(beside, 0.99),
    besideWrites: beside.length,
    stormOk: statuses.filter((status) => status >= 200 && status < 300).length,
    stormKept,
    megabytesReceived,
  };
}

/**
 * WRITERS parallel writes to the session `cookie` on `url`, sent from a process of their own so
 * that the clients' own work does not slow this process's timings: `started` once they go out,
 * then their statuses.
 */
function stormFrom(url: string, cookie: string): { started: Promise<void>; statuses: Promise<number[]> } {
  const script = `
    const [url, cookie, writers] = process.argv.slice(1);
    process.stdout.write('go\\n');
    const writes = Array.from({ length: Number(writers) }, (_, i) =>
      fetch(url + '/bench/put?k=s' + i + '&v=' + i, { headers: { cookie } }).then(async (res) => (await res.arrayBuffer(), res.status)));
    Promise.all(writes).then((statuses) => process.stdout.write(JSON.stringify(statuses)));`;
  const child = spawn(process.execPath, ['-e', script, url, cookie, String(WRITERS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  let go!: () => void;
  const started = new Promise<void>((resolve) => (go = resolve));
  const statuses = new Promise<number[]>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.startsWith('go\n')) go();
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(output.slice(3)) as number[])
        : reject(new Error(`the storm exited with ${code}`)),
    );
  });
  return { started, statuses };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

async function bytesReceived(db: mysql.Connection): Promise<number> {
  const [[row]] = await db.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Bytes_received'");
  return Number(row.Value);
}

main().catch((error: Error) => {
  console.error(`bench:storm failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
