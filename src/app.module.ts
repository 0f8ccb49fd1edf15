import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BlogModule } from './blog/index.js';
import {
  blogOptionsFrom,
  ENVIRONMENT_KEYS,
  sessionOptionsFrom,
  validateEnvironment,
  type Environment,
} from './config/environment.js';
import { dataSourceOptionsFromUrl } from './database/database-url.js';
import { REDIS_CLIENT, RedisClientModule } from './redis/redis-client.module.js';
import { sessionStoreFor } from './redis/session-store.js';
import { SessionModule, type RedisLike } from './session/index.js';

/** The environment as `ConfigModule` validated it, as one typed object. */
const environment = (config: ConfigService<Environment, true>) =>
  Object.fromEntries(ENVIRONMENT_KEYS.map((key) => [key, config.get(key)])) as Environment;

/**
 * The demo server: the blog views, with sessions on the database `DATABASE_URL` names, in Redis
 * (`REDIS_URL`), or both, as `SESSION_STORE` says.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        ...dataSourceOptionsFromUrl(environment(config).DATABASE_URL),
        // The server brings a fresh database up to date at start.
        migrationsRun: true,
        retryAttempts: 1,
        retryDelay: 500,
      }),
    }),
    RedisClientModule,
    SessionModule.forRootAsync({
      inject: [ConfigService, getDataSourceToken(), REDIS_CLIENT],
      useFactory: (config: ConfigService<Environment, true>, dataSource: DataSource, redis: RedisLike | null) => {
        const env = environment(config);
        const options = sessionOptionsFrom(env);
        return { ...options, store: sessionStoreFor(env.SESSION_STORE, dataSource, redis, options) };
      },
    }),
    BlogModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => blogOptionsFrom(environment(config)),
    }),
  ],
})
export class AppModule {}
