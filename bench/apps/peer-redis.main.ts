/**
 * The Redis peer of the benchmark: the same Nest app shape and routes, with express-session +
 * connect-redis on the Redis of REDIS_URL, in their usual configuration (connect-redis's README).
 */
import 'reflect-metadata';
import { Controller, Get, Module, Query, Req } from '@nestjs/common';
import { RedisStore } from 'connect-redis';
import type { Request } from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { HomeController, serve } from './serve.js';

type SessionRequest = Request & { session: session.Session & Record<string, unknown> };

@Controller()
class PeerRedisController {
  @Get('bench/get')
  get(@Req() req: SessionRequest) {
    const { cookie: _cookie, ...data } = req.session;
    return data;
  }

  @Get('bench/put')
  put(@Req() req: SessionRequest, @Query('k') key: string, @Query('v') value: string) {
    req.session[key] = value;
    return 'ok';
  }
}

@Module({ controllers: [HomeController, PeerRedisController] })
class PeerRedisModule {}

const client = createClient({ url: process.env.REDIS_URL });
client.on('error', (error: Error) => console.error(`Redis: ${error.message}`));
await client.connect();

await serve(PeerRedisModule, (app) =>
  app.use(
    session({
      secret: process.env.SESSION_SECRET!,
      resave: false,
      saveUninitialized: false,
      store: new RedisStore({ client, ttl: 1_209_600 }),
    }),
  ),
);
