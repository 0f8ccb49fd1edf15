import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { redactUrl } from './database/database-url.js';

const logger = new Logger('Main');

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { abortOnError: false });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
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
