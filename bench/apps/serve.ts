import type { INestApplication, Type } from '@nestjs/common';
import { Controller, Get, Render } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter } from '../../src/app.setup.js';

/** The demo's home page, which no app of the benchmark lets touch a session. */
@Controller()
export class HomeController {
  @Get()
  @Render('home')
  home() {
    return {};
  }
}

/**
 * Starts a benchmark app as the demo server starts (views, Express settings) on `PORT` and
 * prints the line the benchmark waits for; returns the app. With `BENCH_PLATFORM=fastify`, the
 * same app runs on Nest's FastifyAdapter instead (see {@link serveFastify}); `setUp` is for
 * Express only.
 */
export async function serve(module: Type, setUp?: (app: NestExpressApplication) => void): Promise<INestApplication> {
  if (process.env.BENCH_PLATFORM === 'fastify') {
    if (setUp) throw new Error('BENCH_PLATFORM=fastify: this app sets up an Express app');
    return serveFastify(module);
  }
  const app = configureApp(await NestFactory.create<NestExpressApplication>(module, { logger: ['error'] }));
  app.enableShutdownHooks();
  setUp?.(app);
  return listen(app);
}

/**
 * Starts a benchmark app on Nest's FastifyAdapter as the demo server starts on it (its adapter,
 * its views), after `setUp` (which may register plugins).
 */
export async function serveFastify(
  module: Type,
  setUp?: (app: NestFastifyApplication) => Promise<void>,
): Promise<NestFastifyApplication> {
  const adapter = createHttpAdapter('fastify');
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger: ['error'] });
  app.enableShutdownHooks();
  await setUp?.(app);
  return listen(configureApp(app));
}

async function listen<App extends INestApplication>(app: App): Promise<App> {
  await app.listen(Number(process.env.PORT ?? 0));
  console.log(`Listening on ${(await app.getUrl()).replace('[::1]', 'localhost')}/`);
  return app;
}
