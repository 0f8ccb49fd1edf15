import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { DatabaseUrlError, dataSourceOptionsFromUrl, redactUrl } from './database-url.js';

/** How long the check waits for a MySQL/MariaDB server to answer. */
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

async function checkMysql(uri: string, where: string): Promise<void> {
  const parsed = new URL(uri);
  const server = `${parsed.hostname}:${parsed.port || 3306}`;
  const database = decodeURIComponent(parsed.pathname.slice(1));
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({ uri, connectTimeout: CONNECT_TIMEOUT });
    await connection.query('SELECT 1');
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    throw new DatabaseUrlError(`${where}: ${mysqlProblem(code, message, server, database)}`);
  } finally {
    await connection?.end().catch(() => undefined);
  }
}

function mysqlProblem(code: string | undefined, message: string, server: string, database: string): string {
  switch (code) {
    case 'ER_BAD_DB_ERROR':
      return `the database "${database}" does not exist on ${server}. Create it (CREATE DATABASE \`${database}\`) or name another.`;
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return `${server} refused the user: ${message}. Check the user and password in DATABASE_URL.`;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return `no MySQL/MariaDB server answers at ${server} (${code}). Start it, or fix the host and port in DATABASE_URL.`;
    default:
      return `${server} could not be used: ${message}.`;
  }
}
