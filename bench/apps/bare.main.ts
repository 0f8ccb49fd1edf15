/** The ceiling of the benchmark: the same Nest app shape and routes, with no session at all. */
import 'reflect-metadata';
import { Controller, Get, Module, Render } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { configureApp } from '../../src/app.setup.js';

@Controller()
class BareController {
  @Get()
  @Render('home')
  home() {
    return {};
  }

  @Get('bench/get')
  get() {
    return {};
  }

  @Get('bench/put')
  put() {
    return 'ok';
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const app = configureApp(await NestFactory.create<NestExpressApplication>(BareModule, { logger: ['error'] }));
await app.listen(Number(process.env.PORT ?? 0));
console.log(`Listening on ${(await app.getUrl()).replace('[::1]', 'localhost')}/`);
