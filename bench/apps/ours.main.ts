/**
 * nest-sessions in the benchmark: the same Nest app shape and routes as the peer and the
 * ceiling (home page, /bench/get, /bench/put), on the demo's database configuration.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Query } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptionsFromUrl } from '../../src/database/database-url.js';
import { RequestSession, Session, SessionModule } from '../../src/session/index.js';
import { HomeController, serve } from './serve.js';

@Controller()
class OursController {
  @Get('bench/get')
  get(@Session() session: RequestSession) {
    return session.toJSON();
  }

  @Get('bench/put')
  put(@Session() session: RequestSession, @Query('k') key: string, @Query('v') value: string) {
    session.set(key, value);
    return 'ok';
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({ ...dataSourceOptionsFromUrl(process.env.DATABASE_URL), migrationsRun: true }),
    SessionModule.forRoot({
      secret: process.env.SESSION_SECRET,
      // The rolling variants of the bench (BENCH_SERVERS=rolling,touched).
      saveEveryRequest: process.env.SESSION_SAVE_EVERY_REQUEST === 'true',
      touchAfter: process.env.SESSION_TOUCH_AFTER ? Number(process.env.SESSION_TOUCH_AFTER) : undefined,
    }),
  ],
  controllers: [HomeController, OursController],
})
class OursModule {}

await serve(OursModule);
