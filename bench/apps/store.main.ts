/**
 * The store alone, as a lens on nest-sessions: the ceiling app, where the session routes call
 * the library's `TypeOrmSessionStore` as nest-sessions does — the same grouped statements, in
 * the same transaction — and nothing else: the cookie carries the bare key, and there is no
 * session handle, no signature and no JSON. Its distance from the ceiling is what the database
 * work costs; nest-sessions' distance from it is the rest of the library's.
 */
import 'reflect-metadata';
import { Controller, Get, Headers, Module, Query, Res } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { dataSourceOptionsFromUrl } from '../../src/database/database-url.js';
import { generateSessionKey, TypeOrmSessionStore } from '../../src/session/index.js';
import { HomeController, serve } from './serve.js';

const LIFETIME_MS = 1_209_600_000; // two weeks, Django's default
const COOKIE = 'sessionid=';

@Controller()
class StoreController {
  private readonly store: TypeOrmSessionStore;

  // Nest hands over the data source initialised, as the store needs it.
  constructor(dataSource: DataSource) {
    this.store = new TypeOrmSessionStore(dataSource);
  }

  @Get('bench/get')
  async get(@Headers('cookie') cookie = '') {
    await this.stored(cookie);
    return {};
  }

  @Get('bench/put')
  async put(
    @Headers('cookie') cookie: string | undefined,
    @Query('k') name: string,
    @Query('v') value: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const expiresAt = new Date(Date.now() + LIFETIME_MS);
    const row = cookie && (await this.stored(cookie));
    if (row) {
      await this.store.update(
        keyOf(cookie),
        { data: `${row.data.slice(0, 64)}${name}=${value}`, expiresAt },
        row.version,
      );
    } else {
      const key = generateSessionKey();
      await this.store.create(key, { data: `${name}=${value}`, expiresAt });
      res.setHeader('Set-Cookie', `${COOKIE}${key}`);
    }
    return 'ok';
  }

  private stored(cookie: string) {
    return cookie.startsWith(COOKIE) ? this.store.load(keyOf(cookie)) : undefined;
  }
}

const keyOf = (cookie: string) => cookie.slice(COOKIE.length);

@Module({
  imports: [TypeOrmModule.forRoot({ ...dataSourceOptionsFromUrl(process.env.DATABASE_URL), migrationsRun: true })],
  controllers: [HomeController, StoreController],
})
class StoreModule {}

await serve(StoreModule);
