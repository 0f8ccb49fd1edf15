import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { processCpuMicros } from './cpu.js';

/** A database of a benchmark's own on a PostgreSQL server, with what the report reads of it. */
export interface BenchPostgres {
  /** The database's URL, for the servers under test (`DATABASE_URL`). */
  url: string;
  /**
   * Transactions the database has run so far: one per statement outside a transaction, as the
   * stores and the peer send them. PostgreSQL publishes the counts of a backend about a second
   * after its last statement, so a reading waits that long first.
   */
  transactions(): Promise<number>;
  /** CPU time all PostgreSQL processes on this machine have used so far, in microseconds. */
  cpuMicros(): number;
  /** Drops the database and closes the connection. */
  drop(): Promise<void>;
}

/** How long a backend may keep its statistics before PostgreSQL publishes them (PGSTAT_MIN_INTERVAL, and a margin). */
const STATS_DELAY_MS = 1_500;

/** The database `name` on the server at `serverUrl`, made fresh (a leftover of an interrupted run goes first). */
export async function benchPostgres(serverUrl: URL, name: string): Promise<BenchPostgres> {
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  return {
    url: Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString(),
    transactions: async () => {
      await new Promise((resolve) => setTimeout(resolve, STATS_DELAY_MS));
      // A fresh snapshot: within a transaction the statistics would stay as first read.
      await admin.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await admin.query<{ n: string }>(
        'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
        [name],
      );
      return Number(rows[0]?.n ?? 0);
    },
    cpuMicros: () => postgresProcesses().reduce((sum, pid) => sum + cpuOf(pid), 0),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** The ids of this machine's PostgreSQL processes: the server and one backend per connection. */
function postgresProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process's CPU time, or 0 when it ended meanwhile. */
function cpuOf(pid: number): number {
  try {
    return processCpuMicros(pid);
  } catch {
    return 0;
  }
}
