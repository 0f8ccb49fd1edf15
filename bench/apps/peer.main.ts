/**
 * The peer of the benchmark: the same Nest app shape as the demo's bench routes, with
 * express-session + connect-typeorm on MariaDB, in their usual configuration.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TypeormStore, type ISession } from 'connect-typeorm';
import session from 'express-session';
import { Column, DataSource, DeleteDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { ExpressSessionRoutes } from './express-session-routes.js';
import { HomeController, serve } from './serve.js';

/** connect-typeorm's session row, as its README defines it. */
@Entity({ name: 'peer_session' })
export class PeerSession implements ISession {
  @Index()
  @Column('bigint')
  expiredAt = Date.now();

  @PrimaryColumn('varchar', { length: 255 })
  id = '';

  @Column('text')
  json = '';

  @DeleteDateColumn()
  destroyedAt?: Date;
}

@Module({
  imports: [TypeOrmModule.forRoot({ type: 'mysql', url: process.env.DATABASE_URL, entities: [PeerSession] })],
  controllers: [HomeController, ExpressSessionRoutes],
})
class PeerModule {}

await serve(PeerModule, (app) =>
  app.use(
    session({
      secret: process.env.SESSION_SECRET!,
      resave: false,
      saveUninitialized: false,
      // limitSubquery: false is what connect-typeorm asks of MySQL/MariaDB (no LIMIT in IN subqueries).
      store: new TypeormStore({ cleanupLimit: 2, limitSubquery: false, ttl: 1_209_600 }).connect(
        app.get(DataSource).getRepository(PeerSession),
      ),
    }),
  ),
);
