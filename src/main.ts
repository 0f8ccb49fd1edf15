import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { configureApp, createHttpAdapter, listen } from './app.setup.js';
import { validateEnvironment } from './config/environment.js';
import { checkDatabase } from './database/database-check.js';
import { describeStartupFailure } from './database/startup-error.js';
import { checkRedis } from './redis/redis-check.js';
import { StartupLogger } from './startup-logger.js';

const logger = new Logger('Main');

async function bootstrap(): Promise<void> {
  // Checked before the app module loads (its ConfigModule checks again, as it loads): a bad
  // value, an unusable database or a silent Redis then ends the start with one line, not a
  // stack trace.
  const environment = validateEnvironment(process.env);
  await checkDatabase(environment.DATABASE_URL);
  if (environment.SESSION_STORE !== 'db') await checkRedis(environment.REDIS_URL);
  const { AppModule } = await import('./app.module.js');
  const app = configureApp(
    await NestFactory.create(AppModule, createHttpAdapter(environment.HTTP_ADAPTER), {
      abortOnError: false,
      logger: new StartupLogger(),
    }),
  );
  app.enableShutdownHooks();
  await listen(app, app.get(ConfigService).getOrThrow<number>('PORT'));
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  logger.log(`Listening on ${url}/ (${app.getHttpAdapter().getType()})`);
}

bootstrap().catch((error: Error) => {
  const [message, ...hints] = describeStartupFailure(error);
  logger.error(`Could not start: ${message}`);
  for (const hint of hints) logger.error(hint);
  process.exit(1);
});
