import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Table the sessions live in. */
export const SESSION_TABLE = 'session';

/**
 * One stored session: Django's `django_session` row. Registered with TypeORM as the entity
 * `Session` (table `session`); the class is named `SessionEntity` so that it never shadows the
 * `@Session()` decorator.
 *
 * The schema comes from the migration `CreateSessionTable`, which also gives `session_key` a
 * binary collation on MySQL/MariaDB so that keys compare byte for byte.
 */
@Entity({ name: SESSION_TABLE })
export class SessionEntity {
  /** The random key that the cookie carries. */
  @PrimaryColumn({ name: 'session_key', type: 'varchar', length: 40 })
  sessionKey: string;

  /** The dictionary, JSON signed with the app's secret (see `SessionCodec`). */
  @Column({ name: 'session_data', type: 'text' })
  sessionData: string;

  /** When the session stops being valid, in UTC. Indexed for `clearExpired()`. */
  @Index('session_expire_date_idx')
  @Column({ name: 'expire_date', type: 'datetime', precision: 3 })
  expireDate: Date;

  /** Raised by every save; a save that expects an older version merges instead of overwriting. */
  @Column({ name: 'version', type: 'int', default: 0 })
  version: number;
}
