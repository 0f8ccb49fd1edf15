/**
 * nest-sessions in the benchmark: the same Nest app shape and routes as the peer and the
 * ceiling (home page, /bench/get, /bench/put), on the demo's database configuration.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Query, Render } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { configureApp } from '../../src/app.setup.js';
import { dataSourceOptionsFromUrl } from '../../src/database/database-url.js';
import { RequestSession, Session, SessionModule } from '../../src/session/index.js';

@Controller()
class OursController {
  @Get()
  @Render('home')
  home() {
    return {};
  }

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
    SessionModule.forRoot({ secret: process.env.SESSION_SECRET }),
  ],
  controllers: [OursController],
})
class OursModule {}

const app = configureApp(await NestFactory.create<NestExpressApplication>(OursModule, { logger: ['error'] }));
await app.listen(Number(process.env.PORT ?? 0));
console.log(`Listening on ${(await app.getUrl()).replace('[::1]', 'localhost')}/`);
