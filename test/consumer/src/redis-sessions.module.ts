import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { getDataSourceToken } from '@nestjs/typeorm';
import { CachedSessionStore, RedisSessionStore, SessionModule, TypeOrmSessionStore } from 'nest-sessions';
import { createClient } from 'redis';
import type { DataSource } from 'typeorm';

/**
 * A connected client of the Redis at `url`. One that does not answer at start fails the start
 * within `connectTimeout` ms, naming its host; once connected, the client reconnects by itself.
 */
export async function connectRedis(url: string, connectTimeout = 3000) {
  let connected = false;
  const client = createClient({
    url,
    // Commands fail at once while Redis is away, rather than queue behind it.
    disableOfflineQueue: true,
    socket: {
      connectTimeout,
      reconnectStrategy: (retries, cause) => (connected ? Math.min(100 * 2 ** retries, 2000) : cause),
    },
  });
  // The stores log connection errors; node-redis ends the process on an error nobody listens to.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Redis at ${new URL(url).host} does not answer: ${(error as Error).message}`);
  }
  connected = true;
  return client;
}

@Module({
  imports: [
    SessionModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService, getDataSourceToken()],
      useFactory: async (config: ConfigService, dataSource: DataSource) => {
        const redis = await connectRedis(config.getOrThrow<string>('REDIS_URL'));
        return {
          secret: config.getOrThrow<string>('SESSION_SECRET'),
          // Django's `cache` engine (Redis alone), or `cached_db` (the table, Redis in front).
          store:
            config.get<string>('SESSION_STORE') === 'cache'
              ? new RedisSessionStore(redis)
              : new CachedSessionStore(new TypeOrmSessionStore(dataSource), redis),
        };
      },
    }),
  ],
})
export class RedisSessionsModule {}
