/**
 * The peer of the benchmark: the same Nest app shape as the demo's bench routes, with
 * express-session + connect-typeorm on MariaDB, in their usual configuration.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Query, Req } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TypeormStore, type ISession } from 'connect-typeorm';
import type { Request } from 'express';
import session from 'express-session';
import { Column, DataSource, DeleteDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
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

type SessionRequest = Request & { session: session.Session & Record<string, unknown> };

@Controller()
class PeerController {
  @Get('bench/get')
  get(@Req() req: SessionRequest) {
    const { cookie: _cookie, ...data } = req.session;
    return data;
  }

  @Get('bench/put')
  put(@Req() req: SessionRequest, @Query('k') key: string, @Query('v') value: string) {
    req.session[key] = value;
    return 'ok';
  }
}

@Module({
  imports: [TypeOrmModule.forRoot({ type: 'mysql', url: process.env.DATABASE_URL, entities: [PeerSession] })],
  controllers: [HomeController, PeerController],
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
