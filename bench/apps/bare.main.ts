/** The ceiling of the benchmark: the same Nest app shape and routes, with no session at all. */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { HomeController, serve } from './serve.js';

@Controller()
class BareController {
  @Get('bench/get')
  get() {
    return {};
  }

  @Get('bench/put')
  put() {
    return 'ok';
  }
}

@Module({ controllers: [HomeController, BareController] })
class BareModule {}

await serve(BareModule);
