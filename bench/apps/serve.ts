import type { Type } from '@nestjs/common';
import { Controller, Get, Render } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { configureApp } from '../../src/app.setup.js';

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
 * prints the line the benchmark waits for; returns the app.
 */
export async function serve(
  module: Type,
  setUp?: (app: NestExpressApplication) => void,
): Promise<NestExpressApplication> {
  const app = configureApp(await NestFactory.create<NestExpressApplication>(module, { logger: ['error'] }));
  app.enableShutdownHooks();
  setUp?.(app);
  await app.listen(Number(process.env.PORT ?? 0));
  console.log(`Listening on ${(await app.getUrl()).replace('[::1]', 'localhost')}/`);
  return app;
}
