import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { SessionEntity, sessionMigrations } from '../session/index.js';

/** Where the demo keeps its SQLite database when `DATABASE_URL` is unset. */
export const DEFAULT_SQLITE_PATH = 'data/nest-sessions.sqlite';

/** `DATABASE_URL` names no database this app can use. */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/**
 * TypeORM options for `DATABASE_URL`:
 * - `mysql://user:password@host:3306/db` (or `mariadb://`): MySQL/MariaDB through mysql2;
 * - `postgres://user:password@host:5432/db` (or `postgresql://`): PostgreSQL through pg;
 * - `sqlite:path/to/file.sqlite` (or `sqlite::memory:`): SQLite through better-sqlite3;
 * - unset or empty: the SQLite file {@link DEFAULT_SQLITE_PATH} under the working directory.
 */
export function dataSourceOptionsFromUrl(url: string | undefined): DataSourceOptions {
  const common = { entities: [SessionEntity], migrations: sessionMigrations, synchronize: false };
  if (!url) return { ...common, type: 'better-sqlite3', database: sqliteFile(DEFAULT_SQLITE_PATH) };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new DatabaseUrlError('DATABASE_URL=sqlite: needs a file path, e.g. sqlite:data/app.sqlite');
    return { ...common, type: 'better-sqlite3', database: path === ':memory:' ? path : sqliteFile(path) };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    // Sessions are written in UTC; reading DATETIME as UTC keeps the entity's dates right.
    return { ...common, type: 'mysql', url: url.replace(/^mariadb:/i, 'mysql:'), timezone: 'Z' };
  }
  // pg takes both schemes; the times are `timestamptz`, which need no time zone setting.
  if (scheme === 'postgres' || scheme === 'postgresql') return { ...common, type: 'postgres', url };
  throw new DatabaseUrlError(
    `DATABASE_URL has an unsupported scheme${scheme ? ` "${scheme}:"` : ''}; use ` +
      'mysql://user:password@host:3306/database, mariadb://…, postgres://user:password@host:5432/database, ' +
      'postgresql://…, or sqlite:path/to/file.sqlite.',
  );
}

/** The database `url` names, for messages: the SQLite file's path, or the URL without its password. */
export function describeDatabase(url: string | undefined): string {
  const options = dataSourceOptionsFromUrl(url);
  return options.type === 'better-sqlite3' ? `the SQLite file ${options.database}` : redactUrl(url!);
}

/** `url` with any password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

function sqliteFile(path: string): string {
  const absolute = resolve(path);
  try {
    mkdirSync(dirname(absolute), { recursive: true });
  } catch (error) {
    const { code } = error as { code?: string };
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file stands where a folder should be' : code;
    throw new DatabaseUrlError(
      `DATABASE_URL names the SQLite file ${absolute}, whose folder cannot be created (${why}). ` +
        'Point it at a file in a folder the server can write to.',
    );
  }
  return absolute;
}
