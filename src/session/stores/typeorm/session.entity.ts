import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The table sessions live in unless the app names another (see {@link sessionTable}).
 * @public
 */
export const SESSION_TABLE = 'session';

/**
 * The columns of a stored session, as the entity classes of {@link sessionTable} map them.
 * @public
 */
export interface SessionRow {
  /** The random key that the cookie carries. */
  sessionKey: string;
  /** The dictionary, JSON signed with the app's secret (see `SessionCodec`). */
  sessionData: string;
  /** When the session stops being valid, in UTC. Indexed for `clearExpired()`. */
  expireDate: Date;
  /** Raised by every save; a save that expects an older version merges instead of overwriting. */
  version: number;
  /** The user the session is bound to, indexed; `null` when none. */
  userId: string | null;
  /** When the session began, or a login cycled its key (UTC). */
  createdAt: Date | null;
  /** When the session was last saved (UTC). */
  lastSeenAt: Date | null;
  /** The client's address and user agent at the last save. */
  clientIp: string | null;
  userAgent: string | null;
  /** When the key was issued by a renewal; `null` when it is the key the session began with. */
  keyIssuedAt: Date | null;
  /**
   * The alias of the key a renewal replaced (a keyed hash of it, never the key), which reaches
   * the row until `previousUntil` (the grace).
   */
  previousKey: string | null;
  previousUntil: Date | null;
}

/**
 * A TypeORM entity class of sessions: {@link SessionEntity}, or one of {@link sessionTable}.
 * @public
 */
export type SessionEntityClass = new () => SessionRow;

/** Every entity class made here, by table, so that the store can find the one a data source holds. */
const entities = new Map<string, SessionEntityClass>();

/**
 * The entity of sessions kept in `table`: one class per table name, however often asked for.
 * The index on the expiry is named after the table, since SQLite's index names are per database.
 * Times are `Date`, which every driver takes (`datetime` is MySQL's and SQLite's only); the
 * migrations make them `timestamptz` on PostgreSQL.
 *
 * @internal Use {@link SessionEntity} or {@link sessionTable}.
 */
export function sessionEntityFor(table: string): SessionEntityClass {
  const known = entities.get(table);
  if (known) return known;

  // Named `SessionEntity` so that it never shadows the `@Session()` decorator.
  @Entity({ name: table })
  class SessionEntity implements SessionRow {
    @PrimaryColumn({ name: 'session_key', type: 'varchar', length: 40 })
    sessionKey: string;

    @Column({ name: 'session_data', type: 'text' })
    sessionData: string;

    @Index(`${table}_expire_date_idx`)
    @Column({ name: 'expire_date', type: Date, precision: 3 })
    expireDate: Date;

    @Column({ name: 'version', type: 'int', default: 0 })
    version: number;

    @Index(`${table}_user_id_idx`)
    @Column({ name: 'user_id', type: 'varchar', length: 191, nullable: true })
    userId: string | null;

    @Column({ name: 'created_at', type: Date, precision: 3, nullable: true })
    createdAt: Date | null;

    @Column({ name: 'last_seen_at', type: Date, precision: 3, nullable: true })
    lastSeenAt: Date | null;

    @Column({ name: 'client_ip', type: 'varchar', length: 45, nullable: true })
    clientIp: string | null;

    @Column({ name: 'user_agent', type: 'varchar', length: 255, nullable: true })
    userAgent: string | null;

    @Column({ name: 'key_issued_at', type: Date, precision: 3, nullable: true })
    keyIssuedAt: Date | null;

    @Index(`${table}_previous_key_idx`)
    @Column({ name: 'previous_key', type: 'varchar', length: 40, nullable: true })
    previousKey: string | null;

    @Column({ name: 'previous_until', type: Date, precision: 3, nullable: true })
    previousUntil: Date | null;
  }
  entities.set(table, SessionEntity);
  return SessionEntity;
}

/** Whether `target` is an entity class of sessions made by {@link sessionEntityFor}. */
export function isSessionEntity(target: unknown): target is SessionEntityClass {
  return [...entities.values()].includes(target as SessionEntityClass);
}

/**
 * One stored session: Django's `django_session` row, in the table `session`. Add it to the data
 * source's `entities`, with {@link sessionMigrations} to its `migrations`; for another table
 * name, use {@link sessionTable} instead.
 *
 * The schema comes from the migration `CreateSessionTable`, which also gives `session_key` a
 * binary collation on MySQL/MariaDB (and "C" on PostgreSQL) so that keys compare byte for byte.
 * @public
 */
export const SessionEntity = sessionEntityFor(SESSION_TABLE);
/** A row of {@link SessionEntity}. */
export type SessionEntity = SessionRow;
