/**
 * connect-typeorm on the bench's MariaDB, as both TypeORM peers use it (express-session's and
 * @fastify/session's, which takes express-session stores): its row, its database module and its
 * store, in their usual configuration.
 */
import type { INestApplication } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TypeormStore, type ISession } from 'connect-typeorm';
import { Column, DataSource, DeleteDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

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

/** The peers' database: MariaDB at DATABASE_URL, with the row above. */
export const peerDatabase = () =>
  TypeOrmModule.forRoot({ type: 'mysql', url: process.env.DATABASE_URL, entities: [PeerSession] });

/** The store, on the data source of `app` (which imports {@link peerDatabase}). */
export const connectTypeormStore = (app: INestApplication) =>
  // limitSubquery: false is what connect-typeorm asks of MySQL/MariaDB (no LIMIT in IN subqueries).
  new TypeormStore({ cleanupLimit: 2, limitSubquery: false, ttl: 1_209_600 }).connect(
    app.get(DataSource).getRepository(PeerSession),
  );
