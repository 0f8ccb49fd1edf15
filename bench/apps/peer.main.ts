/**
 * The peer of the benchmark: the same Nest app shape as the demo's bench routes, with
 * express-session + connect-typeorm on MariaDB, in their usual configuration.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import session from 'express-session';
import { connectTypeormStore, peerDatabase } from './connect-typeorm.js';
import { ExpressSessionRoutes } from './express-session-routes.js';
import { HomeController, serve } from './serve.js';

@Module({ imports: [peerDatabase()], controllers: [HomeController, ExpressSessionRoutes] })
class PeerModule {}

await serve(PeerModule, (app) =>
  app.use(
    session({
      secret: process.env.SESSION_SECRET!,
      resave: false,
      saveUninitialized: false,
      store: connectTypeormStore(app),
    }),
  ),
);
