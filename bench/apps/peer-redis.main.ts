/**
 * The Redis peer of the benchmark: the same Nest app shape and routes, with express-session +
 * connect-redis on the Redis of REDIS_URL, in their usual configuration (connect-redis's README).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import { ExpressSessionRoutes } from './express-session-routes.js';
import { HomeController, serve } from './serve.js';

@Module({ controllers: [HomeController, ExpressSessionRoutes] })
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
