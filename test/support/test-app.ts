import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { SessionModule, type SessionModuleOptions } from '../../src/session/index.js';
import { QueryCounter, testDataSourceOptions, type TestDatabase } from './databases.js';

/** The secret the test apps sign with. */
export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestApp {
  app: INestApplication;
  dataSource: DataSource;
  /** Statements sent to the database since the last `queries.reset()`. */
  queries: QueryCounter;
  http(): ReturnType<typeof request>;
  /** The rows of the session table. */
  rows(): Promise<{ session_key: string; session_data: string }[]>;
  close(): Promise<void>;
}

/** More of the app under test. */
export interface TestAppExtras {
  imports?: (Type | DynamicModule | Promise<DynamicModule>)[];
  /** The session module itself, in place of `SessionModule.forRoot()` with the session options. */
  sessionModule?: DynamicModule;
  /** Runs on the app before it starts, as `main.ts` would. */
  configure?: (app: NestExpressApplication) => void;
}

/** A running Nest app with SessionModule on a fresh database of kind `db`. */
export async function createTestApp(
  db: TestDatabase,
  controllers: Type[],
  session: SessionModuleOptions = {},
  extras: TestAppExtras = {},
): Promise<TestApp> {
  const queries = new QueryCounter();
  const options = await testDataSourceOptions(db, queries);
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(options),
      extras.sessionModule ?? SessionModule.forRoot({ secret: TEST_SECRET, ...session }),
      ...(extras.imports ?? []),
    ],
    controllers,
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
  extras.configure?.(app);
  await app.init();
  const dataSource = app.get<DataSource>(getDataSourceToken());
  return {
    app,
    dataSource,
    queries,
    http: () => request(app.getHttpServer()),
    rows: () => dataSource.query('SELECT session_key, session_data FROM session ORDER BY session_key'),
    close: () => app.close(),
  };
}

/** A parsed `Set-Cookie` header. */
export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case; flags map to `true`. */
  attributes: Record<string, string | true>;
  raw: string;
}

/** The `Set-Cookie` headers of a response for cookie `name`. */
export function setCookies(res: { headers: Record<string, unknown> }, name = 'sessionid'): SetCookie[] {
  const header = res.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? (header as string[]) : [header as string];
  return lines.map(parseSetCookie).filter((cookie) => cookie.name === name);
}

/** The single session `Set-Cookie` of a response; fails the test when there is not exactly one. */
export function sessionCookie(res: { headers: Record<string, unknown> }, name = 'sessionid'): SetCookie {
  const cookies = setCookies(res, name);
  if (cookies.length !== 1) throw new Error(`expected one ${name} Set-Cookie, got ${cookies.length}`);
  return cookies[0];
}

function parseSetCookie(raw: string): SetCookie {
  const [pair, ...rest] = raw.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const [key, ...value] = part.trim().split('=');
    attributes[key.toLowerCase()] = value.length ? value.join('=') : true;
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw };
}
