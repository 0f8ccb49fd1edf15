/**
 * nest-sessions in the benchmark: the same Nest app shape and routes as the peer and the
 * ceiling (home page, /bench/get, /bench/put), on the demo's database configuration, and with
 * SESSION_STORE=cache or cached_db on the Redis of REDIS_URL, as the demo server.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Query } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { createClient } from 'redis';
import type { DataSource } from 'typeorm';
import { dataSourceOptionsFromUrl } from '../../src/database/database-url.js';
import { sessionStoreFor, type SessionStoreKind } from '../../src/redis/session-store.js';
import { RequestSession, Session, SessionModule } from '../../src/session/index.js';
import { HomeController, serve } from './serve.js';

const kind = (process.env.SESSION_STORE ?? 'db') as SessionStoreKind;
const redis = kind === 'db' ? null : createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
redis?.on('error', () => {});
await redis?.connect();

@Controller()
class OursController {
  @Get('bench/get')
  get(@Session() session: RequestSession) {
    return session.toJSON();
  }

  @Get('bench/put')
  put(@Session() session: RequestSession, @Query('k') key: string, @Query('v') value: string) {
    session.set(key, value);
    // The value written, by which the hot route's load tells which writes were answered.
    return value;
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({ ...dataSourceOptionsFromUrl(process.env.DATABASE_URL), migrationsRun: true }),
    SessionModule.forRootAsync({
      inject: [getDataSourceToken()],
      useFactory: (dataSource: DataSource) => ({
        secret: process.env.SESSION_SECRET,
        // The rolling variants of the bench (BENCH_SERVERS=rolling,touched).
        saveEveryRequest: process.env.SESSION_SAVE_EVERY_REQUEST === 'true',
        touchAfter: process.env.SESSION_TOUCH_AFTER ? Number(process.env.SESSION_TOUCH_AFTER) : undefined,
        store: sessionStoreFor(kind, dataSource, redis, {}),
      }),
    }),
  ],
  controllers: [HomeController, OursController],
})
class OursModule {}

await serve(OursModule);
