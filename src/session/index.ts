/**
 * nest-sessions: Django's session framework for NestJS. The module and its options, the
 * session a handler gets and how to get it, the sessions API, the stores and the contract for
 * writing one, the TypeORM entity and migrations, and the errors a request can meet.
 */
export { SessionModule } from './session.module.js';
export type { SessionModuleAsyncOptions } from './session.module-definition.js';
export type { CookieSameSite, SessionModuleOptions } from './session-options.js';
export { SessionConfigError } from './resolve-session-options.js';

export { Session, loadSession } from './session.decorator.js';
export { SessionInterceptor } from './session.interceptor.js';
export { RequestSession } from './request-session.js';
export type { SessionData } from './session-codec.js';
export { EXPIRY_KEY as SESSION_EXPIRY_KEY, type SessionExpiry } from './session-expiry.js';
export { SessionValueError, type JsonValue } from './json-value.js';
export { TEST_COOKIE_KEY, TEST_COOKIE_VALUE, DEFAULT_COOKIE_AGE } from './session.constants.js';

export { ExpressSessionMiddleware } from './express/express-session.middleware.js';
export type {
  ExpressSession,
  ExpressSessionCallback,
  ExpressSessionCookie,
  ExpressSessionData,
  ExpressSessionMembers,
} from './express/express-session.types.js';

export {
  SessionsService,
  SessionNotFoundError,
  type ClearExpiredOptions,
  type ClearExpiredResult,
  type StoredSessionInfo,
} from './sessions.service.js';
export type { CurrentSession, UserSession } from './user-sessions.js';
export { SESSION_USER_KEY, type UserIdOf } from './session-user.js';

export {
  MAX_SESSION_VERSION,
  nextSessionVersion,
  SessionStore,
  SessionKeyTakenError,
  type SessionCounts,
  type SessionInfo,
  type SessionRecord,
  type SessionRenewal,
  type StoredSession,
  type UserSessionRow,
} from './session-store.interface.js';
export { MemorySessionStore } from './memory-session.store.js';
export { TypeOrmSessionStore } from './typeorm/typeorm-session.store.js';
export { RedisSessionStore } from './redis/redis-session.store.js';
export { CachedSessionStore } from './redis/cached-session.store.js';
export type { CachedSessionStoreOptions, RedisSessionStoreOptions } from './redis/redis-store-options.js';
export type {
  IoRedisClusterLike,
  IoRedisLike,
  RedisClientLike,
  RedisClusterLike,
  RedisLike,
} from './redis/redis-clients.js';
export { statementTimeoutFor, type TypeOrmSessionStoreOptions } from './typeorm/store-options.js';
export { SessionEntity, SESSION_TABLE, type SessionEntityClass, type SessionRow } from './typeorm/session.entity.js';
export {
  sessionMigrations,
  sessionTable,
  CreateSessionTable1764151200000,
  AddSessionVersion1764324000000,
  AddSessionInfo1764842400000,
  AddSessionRenewal1764928800000,
  type MigrationClass,
  type SessionTable,
} from './typeorm/migrations/index.js';
export { generateSessionKey } from './session-key.js';

export {
  SessionConflictError,
  SessionDataTooLargeError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
} from './session.errors.js';
