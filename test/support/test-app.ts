import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import {
  CachedSessionStore,
  RedisSessionStore,
  SessionModule,
  SessionStore,
  statementTimeoutFor,
  TypeOrmSessionStore,
  type SessionModuleOptions,
} from '../../src/session/index.js';
import { databaseOf, QueryCounter, testBackends, testDataSourceOptions, type TestBackend } from './databases.js';
import { connectTestRedis, countingRedis, type TestRedis } from './redis.js';

/** The secret the test apps sign with. */
export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** A change made to a stored row behind the app's back, as an attacker or an operator would. */
export interface RowEdit {
  data?: string;
  expiresAt?: Date;
  version?: number;
  userId?: string;
  /** A key made to answer for the row as a renewed one would, until `previousUntil`. */
  previousKey?: string;
  previousUntil?: Date;
}

export interface TestApp {
  app: INestApplication;
  backend: TestBackend;
  dataSource: DataSource;
  /** The store the app keeps its sessions in. */
  store: SessionStore;
  /**
   * Statements sent to the database since the last `queries.reset()`, and on the Redis stores
   * the Redis commands too, named by what they do (see `countingRedis()`).
   */
  queries: QueryCounter;
  http(): ReturnType<typeof request>;
  /** The live session rows, by key: of the table, or in Redis for the `cache` store. */
  rows(): Promise<{ session_key: string; session_data: string }[]>;
  /** Changes the stored row `key` where it is kept (for `cached_db`: the table, and the cache drops it). */
  editRow(key: string, edit: RowEdit): Promise<void>;
  close(): Promise<void>;
}

/** The HTTP platform a test app runs on: Nest's Express adapter, or its Fastify one. */
export type TestPlatform = 'express' | 'fastify';

/**
 * The cases a platform-neutral suite runs: every backend on Express; on Fastify those of
 * `onFastify` that are under test (by default the databases: the Redis stores sit below the
 * platform), so that the second platform costs the suite a fraction of its time.
 */
export function platformBackends(
  onFastify: TestBackend[] = ['sqlite', 'mariadb'],
  backends: TestBackend[] = testBackends(),
): [TestPlatform, TestBackend][] {
  return [
    ...backends.map((backend) => ['express', backend] as [TestPlatform, TestBackend]),
    ...backends
      .filter((backend) => onFastify.includes(backend))
      .map((backend) => ['fastify', backend] as [TestPlatform, TestBackend]),
  ];
}

/** More of the app under test. */
export interface TestAppExtras {
  imports?: (Type | DynamicModule | Promise<DynamicModule>)[];
  /** The session module itself, in place of `SessionModule.forRoot()` with the session options. */
  sessionModule?: DynamicModule;
  /** Runs on the app before it starts, as `main.ts` would. */
  configure?: (app: INestApplication) => void;
  /** `express` unless told. */
  platform?: TestPlatform;
  /** Makes the HTTP adapter of `platform`, in place of Nest's with its defaults. */
  adapter?: (platform: TestPlatform) => AbstractHttpAdapter;
}

/** A Nest app of `moduleRef` on `platform`, started and ready for requests over HTTP. */
export async function startTestApp(
  moduleRef: TestingModule,
  platform: TestPlatform = 'express',
  { configure, adapter }: Pick<TestAppExtras, 'configure' | 'adapter'> = {},
): Promise<INestApplication> {
  const httpAdapter = adapter?.(platform) ?? (platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter());
  const app = moduleRef.createNestApplication(httpAdapter, { logger: false });
  configure?.(app);
  await app.init();
  // Fastify serves no route before it is ready.
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}

/** A running Nest app with SessionModule on a fresh database, and Redis, of `backend`. */
export async function createTestApp(
  backend: TestBackend,
  controllers: Type[],
  session: SessionModuleOptions = {},
  extras: TestAppExtras = {},
): Promise<TestApp> {
  const queries = new QueryCounter();
  const db = databaseOf(backend);
  const options = await testDataSourceOptions(db, queries);
  const redis = backend === 'cache' || backend === 'cached_db' ? await connectTestRedis('single') : undefined;
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(options),
      extras.sessionModule ??
        SessionModule.forRootAsync({
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => ({
            secret: TEST_SECRET,
            ...session,
            ...(redis && { store: redisStore(backend, dataSource, redis, queries.statements, session) }),
          }),
        }),
      ...(extras.imports ?? []),
    ],
    controllers,
  }).compile();
  const app = await startTestApp(moduleRef, extras.platform, extras);
  const dataSource = app.get<DataSource>(getDataSourceToken());
  const sqlRows = (): Promise<{ session_key: string; session_data: string }[]> =>
    dataSource.query('SELECT session_key, session_data FROM session ORDER BY session_key');
  return {
    app,
    backend,
    dataSource,
    store: app.get<SessionStore>(SessionStore),
    queries,
    http: () => request(app.getHttpServer()),
    rows: () => (backend === 'cache' ? redisRows(redis!) : sqlRows()),
    editRow: (key, edit) =>
      backend === 'cache' ? editRedisRow(redis!, redis!.prefix + key, edit) : editSqlRow(dataSource, redis, key, edit),
    close: async () => {
      await app.close();
      await redis?.close();
    },
  };
}

/** The Redis store of `backend`, on `redis` with its commands counted into `commands`. */
function redisStore(
  backend: TestBackend,
  dataSource: DataSource,
  redis: TestRedis,
  commands: string[],
  session: SessionModuleOptions,
): SessionStore {
  const client = countingRedis(redis.redis, commands);
  const timeout = statementTimeoutFor(session.storeTimeout ?? 5_000);
  if (backend === 'cache') return new RedisSessionStore(client, { prefix: redis.prefix, commandTimeout: timeout });
  const primary = new TypeOrmSessionStore(dataSource, {
    statementTimeout: timeout,
    renewedKeys: session.renewAfter !== undefined,
  });
  return new CachedSessionStore(primary, client, { prefix: redis.prefix });
}

async function redisRows(redis: TestRedis): Promise<{ session_key: string; session_data: string }[]> {
  const rows: { session_key: string; session_data: string }[] = [];
  for (const key of await redis.keys()) {
    if (key.startsWith(`${redis.prefix}user:`)) continue;
    const data = (await redis.raw(key, ['HGET', key, 'd'])) as string | null;
    if (data !== null) rows.push({ session_key: key.slice(redis.prefix.length), session_data: data });
  }
  return rows.sort((a, b) => (a.session_key < b.session_key ? -1 : 1));
}

async function editRedisRow(redis: TestRedis, key: string, edit: RowEdit): Promise<void> {
  const fields: string[] = [];
  if (edit.data !== undefined) fields.push('d', edit.data);
  if (edit.version !== undefined) fields.push('v', String(edit.version));
  if (edit.expiresAt !== undefined) fields.push('e', String(edit.expiresAt.getTime()));
  if (edit.userId !== undefined) {
    const info = JSON.parse(String(await redis.raw(key, ['HGET', key, 'i']))) as unknown[];
    info[0] = edit.userId;
    fields.push('i', JSON.stringify(info));
  }
  if (edit.previousKey !== undefined) {
    const pointer = key.slice(0, -SESSION_KEY_LENGTH) + edit.previousKey;
    await redis.raw(pointer, ['HSET', pointer, 'm', key.slice(-SESSION_KEY_LENGTH)]);
    await redis.raw(pointer, ['PEXPIREAT', pointer, String(edit.previousUntil!.getTime())]);
  }
  if (fields.length > 0) await redis.raw(key, ['HSET', key, ...fields]);
  if (edit.expiresAt !== undefined) await redis.raw(key, ['PEXPIREAT', key, String(edit.expiresAt.getTime())]);
}

const SESSION_KEY_LENGTH = 32;

async function editSqlRow(dataSource: DataSource, cache: TestRedis | undefined, key: string, edit: RowEdit) {
  // UTC text, as the store writes it; with its zone for PostgreSQL's timestamptz.
  const sqlTime = (time: Date) =>
    dataSource.options.type === 'postgres' ? time.toISOString() : time.toISOString().replace('T', ' ').replace('Z', '');
  const columns: [string, unknown][] = [];
  if (edit.data !== undefined) columns.push(['session_data', edit.data]);
  if (edit.version !== undefined) columns.push(['version', edit.version]);
  if (edit.expiresAt !== undefined) columns.push(['expire_date', sqlTime(edit.expiresAt)]);
  if (edit.userId !== undefined) columns.push(['user_id', edit.userId]);
  if (edit.previousKey !== undefined) columns.push(['previous_key', edit.previousKey]);
  if (edit.previousUntil !== undefined) columns.push(['previous_until', sqlTime(edit.previousUntil)]);
  const p = (index: number) => dataSource.driver.createParameter(`p${index}`, index);
  const set = columns.map(([column], i) => `${column} = ${p(i)}`).join(', ');
  await dataSource.query(`UPDATE session SET ${set} WHERE session_key = ${p(columns.length)}`, [
    ...columns.map(([, v]) => v),
    key,
  ]);
  // An edit of the table, the truth: a cache in front forgets the row, as after a write.
  if (cache) await cache.raw(cache.prefix + key, ['DEL', cache.prefix + key]);
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
