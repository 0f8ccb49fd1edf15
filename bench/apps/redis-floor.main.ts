/**
 * The Redis floor of the benchmark: the ceiling app, where the session routes make the fewest
 * plain node-redis round trips a Redis-kept session needs and nothing else — what any session
 * in Redis must at least cost. A read is one `GET`; a write without a session cookie one
 * `SET … PX`; a write to an existing session a `GET`, then a `SET … PX` of that key.
 */
import 'reflect-metadata';
import { Controller, Get, Headers, Module } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { REDIS_FLOOR_PREFIX } from '../support/redis-floor-keys.js';
import { HomeController, serve } from './serve.js';
const LIFETIME_MS = 1_209_600_000;

const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
const keyOf = (cookie: string) => REDIS_FLOOR_PREFIX + cookie.slice(10, 42);

@Controller()
class RedisFloorController {
  @Get('bench/get')
  async get(@Headers('cookie') cookie = '') {
    await redis.get(keyOf(cookie));
    return {};
  }

  @Get('bench/put')
  async put(@Headers('cookie') cookie?: string) {
    const key = cookie ? keyOf(cookie) : REDIS_FLOOR_PREFIX + randomBytes(16).toString('hex');
    if (cookie) await redis.get(key);
    await redis.set(key, '{}', { PX: LIFETIME_MS });
    return 'ok';
  }
}

@Module({ controllers: [HomeController, RedisFloorController] })
class RedisFloorModule {}

await serve(RedisFloorModule);
