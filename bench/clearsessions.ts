/**
 * Benchmark of `clearsessions` on MariaDB: 1,000,000 expired and 10,000 live sessions, cleared
 * while the demo server serves session reads and new-session writes at a fixed rate. The same
 * load runs once with no cleanup (idle) and once during a single-statement DELETE (Django's
 * `clearsessions`), for comparison. Prints a table and writes bench/results/clearsessions.json.
 *
 *   npm run bench:clearsessions            (BENCH_MARIADB_URL, BENCH_EXPIRED, BENCH_LIVE to change)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { startLoad, type LoadResult } from './support/load.js';
import { benchDatabase } from './support/database.js';
import { startServer } from './support/server.js';

const serverUrl = new URL(process.env.BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
const DATABASE = 'nest_sessions_bench';
const EXPIRED = Number(process.env.BENCH_EXPIRED ?? 1_000_000);
const LIVE = Number(process.env.BENCH_LIVE ?? 10_000);
const READ_RATE = 200;
const WRITE_RATE = 100;
const IDLE_SECONDS = 8;
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 10_000);

interface Phase {
  name: string;
  seconds: number;
  reads: LoadResult;
  writes: LoadResult;
}

async function main(): Promise<void> {
  // Kept between runs: filling it takes longer than the cleanup being measured.
  const { admin, url: databaseUrl } = await benchDatabase(serverUrl, DATABASE, { keep: true });
  const env = { DATABASE_URL: databaseUrl, SESSION_SECRET: randomBytes(32).toString('hex') };
  const server = await startServer(env);
  try {
    await seed(admin);
    const cookie = await readerCookie(server.url);
    const load = () => ({
      reads: startLoad({ url: `${server.url}/bench/get`, rate: READ_RATE, connections: 16, headers: { cookie } }),
      writes: startLoad({ url: `${server.url}/bench/put?k=cart&v=1`, rate: WRITE_RATE, connections: 16 }),
    });
    const phase = async (name: string, task: () => Promise<unknown>): Promise<Phase> => {
      const { reads, writes } = load();
      await sleep(1000); // the load reaches its rate before the task starts
      const started = performance.now();
      await task();
      const seconds = (performance.now() - started) / 1000;
      reads.stop();
      writes.stop();
      return { name, seconds, reads: await reads.result, writes: await writes.result };
    };

    await phase('warm-up', () => sleep(5000));
    const idle = await phase('idle (no cleanup)', () => sleep(IDLE_SECONDS * 1000));
    let summary = '';
    const batched = await phase(
      `npm run clearsessions (batches of ${BATCH_SIZE.toLocaleString('en-US')})`,
      async () => {
        const command = ['dist/src/commands/clearsessions.js', '--batch-size', String(BATCH_SIZE)];
        const { stdout } = await promisify(execFile)(process.execPath, command, {
          env: { ...process.env, NODE_ENV: 'production', ...env },
        });
        summary = stdout.trim();
      },
    );
    const left = await counts(admin);

    await seed(admin);
    const single = await phase('one DELETE statement (as Django)', () =>
      admin.query('DELETE FROM session WHERE expire_date < UTC_TIMESTAMP(3)'),
    );

    report({ idle, batched, single, summary, left });
  } finally {
    await server.stop();
    await admin.end();
  }
}

/**
 * Empties the table and fills it with EXPIRED expired rows and LIVE live ones, in two statements.
 * Keys are random-looking (as real keys are) so that key order and expiry order are unrelated.
 */
async function seed(db: mysql.Connection): Promise<void> {
  const started = performance.now();
  await db.query('TRUNCATE TABLE session');
  const payload = `'${'x'.repeat(43)}:{"id":1,"name":"root","password":"rootpass"}'`;
  await db.query(
    `INSERT INTO session (session_key, session_data, expire_date)
     SELECT CONCAT('e', SUBSTR(MD5(seq), 1, 31)) AS k, ${payload}, UTC_TIMESTAMP(3) - INTERVAL (1 + seq % 2592000) SECOND
     FROM seq_1_to_${EXPIRED} ORDER BY k`,
  );
  await db.query(
    `INSERT INTO session (session_key, session_data, expire_date)
     SELECT CONCAT('l', SUBSTR(MD5(seq), 1, 31)) AS k, ${payload}, UTC_TIMESTAMP(3) + INTERVAL (3600 + seq) SECOND
     FROM seq_1_to_${LIVE} ORDER BY k`,
  );
  await db.query('ANALYZE TABLE session');
  console.log(
    `seeded ${EXPIRED.toLocaleString('en-US')} expired + ${LIVE.toLocaleString('en-US')} live rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** A real session, made through the server, for the read load. */
async function readerCookie(url: string): Promise<string> {
  const res = await fetch(`${url}/bench/put?k=reader&v=1`);
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error('the server set no session cookie');
  return cookie;
}

async function counts(db: mysql.Connection): Promise<{ seededLive: number; expired: number }> {
  const [[row]] = await db.query<mysql.RowDataPacket[]>(
    `SELECT SUM(session_key REGEXP '^l[0-9a-f]{31}$') AS seededLive, SUM(expire_date <= UTC_TIMESTAMP(3)) AS expired FROM session`,
  );
  return { seededLive: Number(row.seededLive), expired: Number(row.expired) };
}

function report(r: {
  idle: Phase;
  batched: Phase;
  single: Phase;
  summary: string;
  left: { seededLive: number; expired: number };
}) {
  const rows = [r.idle, r.batched, r.single].map((p) => ({
    phase: p.name,
    seconds: p.seconds.toFixed(2),
    'read p50 ms': p.reads.p50,
    'read p99 ms': p.reads.p99,
    'read p99 ×idle': (p.reads.p99 / r.idle.reads.p99).toFixed(2),
    'write p50 ms': p.writes.p50,
    'write p99 ms': p.writes.p99,
    'write p99 ×idle': (p.writes.p99 / r.idle.writes.p99).toFixed(2),
    requests: p.reads.requests + p.writes.requests,
    'errors/non-2xx': p.reads.errors + p.writes.errors + p.reads.non2xx + p.writes.non2xx,
  }));
  console.table(rows);
  console.log(r.summary);
  console.log(
    `after clearsessions: ${r.left.seededLive} of ${LIVE} seeded live rows left, ${r.left.expired} expired rows left`,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/clearsessions.json',
    JSON.stringify(
      {
        date: new Date().toISOString(),
        expired: EXPIRED,
        live: LIVE,
        batchSize: BATCH_SIZE,
        readRate: READ_RATE,
        writeRate: WRITE_RATE,
        rows,
        summary: r.summary,
        left: r.left,
      },
      null,
      2,
    ),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

main().catch((error: Error) => {
  console.error(`bench:clearsessions failed: ${error.message}`);
  process.exit(1);
});
