/**
 * The PostgreSQL peer of the benchmark: the same Nest app shape and routes, with express-session +
 * connect-pg-simple on the PostgreSQL of DATABASE_URL, in their usual configuration
 * (connect-pg-simple's README: a pg pool, its own table).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import pg from 'pg';
import { ExpressSessionRoutes } from './express-session-routes.js';
import { HomeController, serve } from './serve.js';

@Module({ controllers: [HomeController, ExpressSessionRoutes] })
class PeerPgModule {}

const PgStore = connectPgSimple(session);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

await serve(PeerPgModule, (app) =>
  app.use(
    session({
      secret: process.env.SESSION_SECRET!,
      resave: false,
      saveUninitialized: false,
      // A table of its own beside nest-sessions' `session`, made at start as its README allows.
      store: new PgStore({ pool, tableName: 'peer_session', createTableIfMissing: true, ttl: 1_209_600 }),
    }),
  ),
);
