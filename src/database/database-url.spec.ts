import { isAbsolute, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { DataSourceOptions } from 'typeorm';
import { SessionEntity } from '../session/index.js';
import { DatabaseUrlError, dataSourceOptionsFromUrl, redactUrl } from './database-url.js';

function sqliteDatabase(options: DataSourceOptions): string {
  expect(options.type).toBe('better-sqlite3');
  return (options as { database: string }).database;
}

function errorFor(url: string): DatabaseUrlError {
  try {
    dataSourceOptionsFromUrl(url);
  } catch (error) {
    expect(error).toBeInstanceOf(DatabaseUrlError);
    return error as DatabaseUrlError;
  }
  throw new Error(`expected a DatabaseUrlError for ${url}`);
}

describe('dataSourceOptionsFromUrl', () => {
  it.each([undefined, ''])('uses the default SQLite file for %p', (url) => {
    const database = sqliteDatabase(dataSourceOptionsFromUrl(url));
    expect(isAbsolute(database)).toBe(true);
    expect(database.endsWith(join('data', 'nest-sessions.sqlite'))).toBe(true);
  });

  it('keeps an in-memory SQLite database', () => {
    expect(sqliteDatabase(dataSourceOptionsFromUrl('sqlite::memory:'))).toBe(':memory:');
  });

  it('resolves a SQLite file path to an absolute path', () => {
    const file = join(tmpdir(), 'ns-test', 'a.sqlite');
    expect(sqliteDatabase(dataSourceOptionsFromUrl(`sqlite:${file}`))).toBe(file);
  });

  it.each([
    ['mysql://user:pw@localhost:3306/app', 'mysql://user:pw@localhost:3306/app'],
    ['mariadb://user:pw@localhost:3306/app', 'mysql://user:pw@localhost:3306/app'],
  ])('reads %s as MySQL in UTC', (url, expected) => {
    expect(dataSourceOptionsFromUrl(url)).toMatchObject({ type: 'mysql', url: expected, timezone: 'Z' });
  });

  it.each(['postgres://user:pw@localhost:5432/app', 'postgresql://user:pw@localhost/app'])(
    'reads %s as PostgreSQL',
    (url) => {
      expect(dataSourceOptionsFromUrl(url)).toMatchObject({ type: 'postgres', url });
    },
  );

  it.each([undefined, 'sqlite::memory:', 'mysql://u:p@h/db', 'mariadb://u:p@h/db', 'postgres://u:p@h/db'])(
    'includes the session entity and never synchronizes for %p',
    (url) => {
      const options = dataSourceOptionsFromUrl(url);
      expect(options.entities).toContain(SessionEntity);
      expect(options.synchronize).toBe(false);
    },
  );

  it.each(['mongodb://u:p@h/db', 'nonsense', 'http://x'])('refuses %p', (url) => {
    expect(errorFor(url).message).toContain('DATABASE_URL');
  });

  it('names the unsupported scheme', () => {
    expect(errorFor('mongodb://u:p@h/db').message).toContain('"mongodb:"');
  });

  it.each(['sqlite:', 'sqlite://'])('refuses %p without a path', (url) => {
    expect(errorFor(url).message).toContain('DATABASE_URL');
  });
});

describe('redactUrl', () => {
  it('hides the password', () => {
    const redacted = redactUrl('mysql://user:secret@host/db');
    expect(redacted).not.toContain('secret');
    expect(redacted).toBe('mysql://user:***@host/db');
    expect(redactUrl('postgresql://user:secret@host:5432/db')).toBe('postgresql://user:***@host:5432/db');
  });

  it.each(['mysql://user@host/db', 'mysql://host:3306/db', 'sqlite:data/app.sqlite', 'sqlite::memory:'])(
    'leaves %p alone',
    (url) => {
      expect(redactUrl(url)).toBe(url);
    },
  );
});
