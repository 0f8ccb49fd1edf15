import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DatabaseUrlError, dataSourceOptionsFromUrl, redactUrl } from './database-url.js';

/** How long the check waits for a database server to answer. */
const CONNECT_TIMEOUT = 5_000;

/**
 * Opens the database that `DATABASE_URL` names once, before the server or a command starts, so
 * that a database it cannot use ends the start with one line naming `DATABASE_URL` (and what to
 * do), rather than TypeORM's retries and the driver's stack traces. Throws a
 * {@link DatabaseUrlError}.
 */
export async function checkDatabase(url: string | undefined): Promise<void> {
  const options = dataSourceOptionsFromUrl(url);
  const where = url ? `DATABASE_URL=${redactUrl(url)}` : 'the default SQLite file (DATABASE_URL unset)';
  if (options.type === 'better-sqlite3') checkSqlite(options.database, where);
  else if (options.type === 'mysql') await checkMysql(options.url!, where);
  else if (options.type === 'postgres') await checkPostgres(options.url!, where);
}

function checkSqlite(file: string, where: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // Opening is lazy: the first read of the header is what finds a file that is not SQLite.
    db.pragma('schema_version');
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const problem =
      code === 'SQLITE_NOTADB'
        ? `${file} is not a SQLite database`
        : code === 'SQLITE_CANTOPEN'
          ? `${file} cannot be opened or created (${message})`
          : `${file}: ${message}`;
    throw new DatabaseUrlError(`${where}: ${problem}. Point DATABASE_URL at a SQLite file, or unset it.`);
  } finally {
    db?.close();
  }
}

/** What the check tells of each kind of server: its name, and its codes for what can go wrong. */
const SERVERS = {
  mysql: {
    name: 'MySQL/MariaDB',
    port: 3306,
    quote: '`',
    unknownDatabase: ['ER_BAD_DB_ERROR'],
    refusedUser: ['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR'],
  },
  // SQLSTATE codes: 3D000 an unknown database, 28P01 and 28000 a refused login.
  postgres: { name: 'PostgreSQL', port: 5432, quote: '"', unknownDatabase: ['3D000'], refusedUser: ['28P01', '28000'] },
};

/** The network errors of a server that is not there. */
const UNREACHABLE = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'];

/** A connection to a server, opened by the check and closed after one `SELECT 1`. */
interface Probe {
  query(sql: string): Promise<unknown>;
  end(): Promise<unknown>;
}

async function checkMysql(uri: string, where: string): Promise<void> {
  await checkServer(uri, where, 'mysql', () => mysql.createConnection({ uri, connectTimeout: CONNECT_TIMEOUT }));
}

async function checkPostgres(uri: string, where: string): Promise<void> {
  await checkServer(uri, where, 'postgres', async () => {
    const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: CONNECT_TIMEOUT });
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    return client;
  });
}

async function checkServer(uri: string, where: string, kind: keyof typeof SERVERS, open: () => Promise<Probe>) {
  const parsed = new URL(uri);
  const server = SERVERS[kind];
  const address = `${parsed.hostname}:${parsed.port || server.port}`;
  const database = decodeURIComponent(parsed.pathname.slice(1));
  let probe: Probe | undefined;
  try {
    probe = await open();
    await probe.query('SELECT 1');
  } catch (error) {
    const { code = '', message } = error as { code?: string; message: string };
    const problem = server.unknownDatabase.includes(code)
      ? `the database "${database}" does not exist on ${address}. ` +
        `Create it (CREATE DATABASE ${server.quote}${database}${server.quote}) or name another.`
      : server.refusedUser.includes(code)
        ? `${address} refused the user: ${message}. Check the user and password in DATABASE_URL.`
        : UNREACHABLE.includes(code)
          ? `no ${server.name} server answers at ${address} (${code}). Start it, or fix the host and port in DATABASE_URL.`
          : `${address} could not be used: ${message}.`;
    throw new DatabaseUrlError(`${where}: ${problem}`);
  } finally {
    await probe?.end().catch(() => undefined);
  }
}
