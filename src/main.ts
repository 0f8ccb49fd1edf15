import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { redactUrl } from './database/database-url.js';

const logger = new Logger('Main');

async function bootstrap(): Promise<void> {
  const app = configureApp(await NestFactory.create<NestExpressApplication>(AppModule, { abortOnError: false }));
  app.enableShutdownHooks();
  await app.listen(app.get(ConfigService).getOrThrow<number>('PORT'));
  logger.log(`Listening on ${(await app.getUrl()).replace('[::1]', 'localhost')}/`);
}

bootstrap().catch((error: Error) => {
  const url = process.env.DATABASE_URL;
  const where = url ? `DATABASE_URL=${redactUrl(url)}` : 'the default SQLite file (DATABASE_URL unset)';
  logger.error(`Could not start: ${error.message}`);
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|Access denied|Unknown database|SQLITE_/i.test(error.message)) {
    logger.error(`Check the database: ${where}.`);
  }
  process.exit(1);
});
