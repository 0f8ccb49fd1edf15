/**
 * The Fastify peer of the benchmark: the same Nest app shape and routes on Nest's
 * FastifyAdapter, with @fastify/session + @fastify/cookie, and for a store the one the Express
 * peer uses (connect-typeorm on MariaDB: @fastify/session takes express-session stores), so the
 * two peers differ by their session layer alone. Options as the other peers': no session saved
 * until something is set in it (`saveUninitialized: false`), and, like nest-sessions by default,
 * none saved again on a read (`rolling: false`: @fastify/session's default would rewrite the
 * whole session on every request); `secure: false` for the bench's plain HTTP.
 */
import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { Controller, Get, Module, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { connectTypeormStore, peerDatabase } from './connect-typeorm.js';
import { HomeController, serveFastify } from './serve.js';

/** The bench's session routes on @fastify/session's `request.session`. */
@Controller()
class FastifySessionRoutes {
  @Get('bench/get')
  get(@Req() request: FastifyRequest) {
    const { cookie: _cookie, ...data } = request.session;
    return data;
  }

  @Get('bench/put')
  put(@Req() request: FastifyRequest, @Query('k') key: string, @Query('v') value: string) {
    request.session.set(key as never, value as never);
    // The value written, by which the hot route's load tells which writes were answered.
    return value;
  }
}

@Module({ imports: [peerDatabase()], controllers: [HomeController, FastifySessionRoutes] })
class PeerFastifyModule {}

await serveFastify(PeerFastifyModule, async (app) => {
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: process.env.SESSION_SECRET!,
    saveUninitialized: false,
    rolling: false,
    cookie: { secure: false },
    store: connectTypeormStore(app),
  });
});
