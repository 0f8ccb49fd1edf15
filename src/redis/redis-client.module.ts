import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createClient } from 'redis';
import type { Environment } from '../config/environment.js';
import { DEFAULT_REDIS_URL } from './redis-url.js';

/** DI token of the demo's Redis client; `null` when the sessions are in the database alone. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * The Redis client of the session stores, when `SESSION_STORE` asks for one. The store closes it
 * when the app shuts down, after the sessions still being saved.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<Environment, true>) => {
        if (config.get('SESSION_STORE') === 'db') return null;
        const client = createClient({
          url: config.get('REDIS_URL') ?? DEFAULT_REDIS_URL,
          // Commands fail at once while Redis is away, rather than queue up behind it.
          disableOfflineQueue: true,
          socket: {
            connectTimeout: 2_000,
            reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
          },
        });
        // The stores log connection errors; without a listener each would end the process.
        client.on('error', () => {});
        await client.connect();
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisClientModule {}
