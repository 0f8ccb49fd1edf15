/**
 * nest-sessions: Django's session framework for NestJS. The module and its options, the
 * session a handler gets and how to get it, the sessions API, the stores and the contract for
 * writing one, the TypeORM entity and migrations, and the errors a request can meet. Every
 * name exported here is public and tagged `@public`; nothing else of the package is, and the
 * members of public classes marked internal are left out of its type declarations.
 */
export { SessionModule } from './session.module.js';
export type { SessionModuleAsyncOptions } from './session.module-definition.js';
export type { CookieSameSite, SessionModuleOptions } from './options/session-options.js';
export { SessionConfigError } from './session.errors.js';

export { Session, loadSession } from './http/session.decorator.js';
export { SessionInterceptor } from './http/session.interceptor.js';
export { RequestSession, TEST_COOKIE_KEY } from './dictionary/request-session.js';
export type { SessionData } from './dictionary/json-value.js';
export { EXPIRY_KEY as SESSION_EXPIRY_KEY, type SessionExpiry } from './dictionary/session-expiry.js';
export { SessionValueError, type JsonValue } from './dictionary/json-value.js';

export { ExpressSessionMiddleware } from './http/express/express-session.middleware.js';
export type {
  ExpressSession,
  ExpressSessionCallback,
  ExpressSessionCookie,
  ExpressSessionData,
  ExpressSessionMembers,
} from './http/express/express-session.types.js';

export {
  SessionsService,
  SessionNotFoundError,
  type ClearExpiredOptions,
  type ClearExpiredResult,
  type StoredSessionInfo,
} from './sessions/sessions.service.js';
export type { CurrentSession, UserSession } from './sessions/user-sessions.js';
export { SESSION_USER_KEY, type UserIdOf } from './dictionary/session-user.js';

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
} from './stores/session-store.interface.js';
export { MemorySessionStore } from './stores/memory-session.store.js';
export { TypeOrmSessionStore } from './stores/typeorm/typeorm-session.store.js';
export { RedisSessionStore } from './stores/redis/redis-session.store.js';
export { CachedSessionStore } from './stores/redis/cached-session.store.js';
export type { CachedSessionStoreOptions, RedisSessionStoreOptions } from './stores/redis/redis-store-options.js';
export type { RedisLike } from './stores/redis/redis-clients.js';
export { statementTimeoutFor, type TypeOrmSessionStoreOptions } from './stores/typeorm/store-options.js';
export {
  SessionEntity,
  SESSION_TABLE,
  type SessionEntityClass,
  type SessionRow,
} from './stores/typeorm/session.entity.js';
export {
  sessionMigrations,
  sessionTable,
  CreateSessionTable1764151200000,
  AddSessionVersion1764324000000,
  AddSessionInfo1764842400000,
  AddSessionRenewal1764928800000,
  type MigrationClass,
  type SessionTable,
} from './stores/typeorm/migrations/index.js';
export { generateSessionKey } from './dictionary/session-key.js';

export {
  SessionConflictError,
  SessionDataTooLargeError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
} from './session.errors.js';
