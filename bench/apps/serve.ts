import type { INestApplication, Type } from '@nestjs/common';
import { Controller, Get, Render } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import handlebars from 'handlebars';
import { configureApp } from '../../src/app.setup.js';
import { BLOG_VIEWS_DIR } from '../../src/blog/index.js';

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
 * Starts a benchmark app on Nest's FastifyAdapter: the demo's views through @fastify/view with
 * the same Handlebars templates and layout, after `setUp` (which may register plugins).
 */
export async function serveFastify(
  module: Type,
  setUp?: (app: NestFastifyApplication) => Promise<void>,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: ['error'] });
  app.enableShutdownHooks();
  await setUp?.(app);
  app.setViewEngine({ engine: { handlebars }, templates: BLOG_VIEWS_DIR, layout: 'layout', viewExt: 'hbs' });
  return listen(app);
}

async function listen<App extends INestApplication>(app: App): Promise<App> {
  await app.listen(Number(process.env.PORT ?? 0));
  console.log(`Listening on ${(await app.getUrl()).replace('[::1]', 'localhost')}/`);
  return app;
}
