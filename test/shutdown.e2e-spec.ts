import {
  Controller,
  Get,
  Global,
  Injectable,
  Module,
  Param,
  type BeforeApplicationShutdown,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  RedisSessionStore,
  RequestSession,
  Session,
  SessionModule,
  TypeOrmSessionStore,
  type SessionData,
} from '../src/session/index.js';
import type { RedisClientLike } from '../src/session/stores/redis/redis-clients.js';
import { SessionCodec } from '../src/session/rows/session-codec.js';
import { testDatabases, testDataSourceOptions, type TestDatabase } from './support/databases.js';
import { connectTestRedis, testRedisUrl } from './support/redis.js';
import { platformBackends, TEST_SECRET } from './support/test-app.js';

/** Where the handler below stops until the test lets it go on. */
class Gate {
  entered!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.entered = resolve));
  release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
}
let gates: Gate[];

@Controller()
class SlowController {
  @Get('slow-save/:n')
  async slowSave(@Session() session: RequestSession, @Param('n') n: string): Promise<{ ok: true }> {
    session.set('saved', Number(n));
    const gate = gates[Number(n)];
    gate.entered();
    await gate.opened;
    return { ok: true };
  }
}

/** A module that takes its time to shut down, held by gate 2. */
@Injectable()
class SlowHook implements BeforeApplicationShutdown {
  async beforeApplicationShutdown(): Promise<void> {
    gates[2].entered();
    await gates[2].opened;
  }
}
@Global()
@Module({ providers: [SlowHook] })
class SlowHookModule {}

/** Sends a request to the handler held by gate `n`, and hangs up once the handler runs. */
async function hangUpDuring(app: INestApplication, n: number): Promise<void> {
  const { port } = (app.getHttpServer() as http.Server).address() as AddressInfo;
  const req = http.get({ host: '127.0.0.1', port, path: `/slow-save/${n}` });
  req.on('error', () => {}); // the hang-up below
  await gates[n].reached;
  req.destroy();
}

const turns = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Closes `app` (with `SlowHookModule`), sending the request of gate 1 while that module's
 * `beforeApplicationShutdown` holds the close, after this library's first wait; lets the
 * handler finish once the server has closed. Resolves when the app is closed.
 */
async function closeWithRequestDuringLaterHook(app: INestApplication): Promise<void> {
  const closing = app.close();
  await gates[2].reached;
  await hangUpDuring(app, 1); // the server still takes requests
  gates[2].release();
  await turns(100);
  gates[1].release();
  await closing;
}

describe.each(platformBackends(['sqlite'], testDatabases()))(
  'closing the app with a session save in flight (%s, %s)',
  (platform, backend) => {
    const db = backend as TestDatabase;
    let dir: string;
    let options: DataSourceOptions;

    beforeEach(async () => {
      gates = [new Gate(), new Gate(), new Gate()];
      dir = mkdtempSync(join(tmpdir(), 'nest-sessions-shutdown-'));
      options = await testDataSourceOptions(db);
      // A file, not memory, so that the rows outlive the app's data source.
      if (db === 'sqlite') options = { ...options, database: join(dir, 'sessions.sqlite') } as DataSourceOptions;
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    async function startApp(shutdownTimeout?: number, before: Type[] = []): Promise<INestApplication> {
      const moduleRef = await Test.createTestingModule({
        imports: [
          ...before,
          TypeOrmModule.forRoot(options),
          SessionModule.forRoot({ secret: TEST_SECRET, shutdownTimeout }),
        ],
        controllers: [SlowController],
      }).compile();
      // The server drops its open sockets when it closes, as apps that must stop quickly do.
      const appOptions = { logger: false as const, forceCloseConnections: true };
      const app =
        platform === 'fastify'
          ? moduleRef.createNestApplication(new FastifyAdapter(), appOptions)
          : moduleRef.createNestApplication(appOptions);
      await app.listen(0, '127.0.0.1');
      return app;
    }

    async function storedSessions(): Promise<SessionData[]> {
      const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
      try {
        const rows: { session_key: string }[] = await dataSource.query('SELECT session_key FROM session');
        const codec = new SessionCodec(TEST_SECRET);
        const store = new TypeOrmSessionStore(dataSource);
        const decoded = rows.map(async ({ session_key: key }) => {
          const row = await store.load(key);
          return (row && codec.decode(key, row.data, row.expiresAt)?.data) ?? { unverified: true };
        });
        return await Promise.all(decoded);
      } finally {
        await dataSource.destroy();
      }
    }

    it('waits for the handler whose client hung up, and its session is saved', async () => {
      const app = await startApp();
      await hangUpDuring(app, 0);
      let closed = false;
      const closing = app.close().then(() => (closed = true));
      await turns(100);
      expect(closed).toBe(false); // still waiting on the handler
      gates[0].release();
      await closing;
      expect(await storedSessions()).toEqual([{ saved: 0 }]);
    });

    it("also waits, after the server closed, for a request that came in during a later module's hook", async () => {
      // Another global module's beforeApplicationShutdown runs after this library's first wait.
      // The server closes, dropping the socket; TypeORM's data source must outlive the handler.
      await closeWithRequestDuringLaterHook(await startApp(undefined, [SlowHookModule]));
      expect(await storedSessions()).toEqual([{ saved: 1 }]);
    });

    it('stops waiting after shutdownTimeout, and the late save fails without a crash', async () => {
      const crashes: unknown[] = [];
      const record = (error: unknown) => crashes.push(error);
      process.on('unhandledRejection', record);
      process.on('uncaughtException', record);
      try {
        const app = await startApp(50);
        await hangUpDuring(app, 0);
        await app.close(); // resolves although the handler is still held at its gate
        gates[0].release();
        // The save now meets a closed data source: it is logged and lost, and the process goes on.
        await turns(100);
        expect(await storedSessions()).toEqual([]);
      } finally {
        process.off('unhandledRejection', record);
        process.off('uncaughtException', record);
      }
      // Neither an unhandled rejection nor an uncaught exception: either would end a real server.
      expect(crashes).toEqual([]);
    });
  },
);

/** The Redis stores close their client at shutdown, once the sessions still in flight are saved. */
(testRedisUrl() ? describe : describe.skip)('closing the app with a save in flight on the cache store', () => {
  it("saves a request that came in during a later module's hook, then closes the Redis client", async () => {
    gates = [new Gate(), new Gate(), new Gate()];
    const redis = await connectTestRedis('single');
    const client = redis.redis as RedisClientLike;
    const moduleRef = await Test.createTestingModule({
      imports: [
        SlowHookModule,
        SessionModule.forRoot({ secret: TEST_SECRET, store: new RedisSessionStore(client, { prefix: redis.prefix }) }),
      ],
      controllers: [SlowController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.listen(0, '127.0.0.1');
    await closeWithRequestDuringLaterHook(app);
    expect(client.isOpen).toBe(false);
    // Read past the closed client, on a connection of its own.
    const check = await connectTestRedis('single');
    try {
      const keys = await check.raw('', ['KEYS', `${redis.prefix}*`]);
      expect(keys).toHaveLength(1);
      const key = (keys as string[])[0];
      const row = await new RedisSessionStore(check.redis, { prefix: redis.prefix }).load(
        key.slice(redis.prefix.length),
      );
      const codec = new SessionCodec(TEST_SECRET);
      expect(codec.decode(key.slice(redis.prefix.length), row!.data, row!.expiresAt)?.data).toEqual({ saved: 1 });
      await check.raw(key, ['DEL', key]);
    } finally {
      await check.close();
    }
  });
});
