export { SessionModule } from './session.module.js';
export type { SessionModuleAsyncOptions } from './session.module-definition.js';
export {
  resolveSessionOptions,
  SessionConfigError,
  type CookieSameSite,
  type ResolvedSessionOptions,
  type SessionModuleOptions,
} from './session-options.js';
export { Session, loadSession } from './session.decorator.js';
export { SessionInterceptor } from './session.interceptor.js';
export { RequestSession, type ExpiryPolicy } from './request-session.js';
export { EXPIRY_KEY as SESSION_EXPIRY_KEY, type SessionExpiry } from './session-expiry.js';
export { SessionValueError, type JsonValue } from './json-value.js';
export { SessionEntity, SESSION_TABLE } from './typeorm/session.entity.js';
export { sessionMigrations } from './typeorm/migrations/index.js';
export { CreateSessionTable1764151200000 } from './typeorm/migrations/1764151200000-create-session-table.js';
export { AddSessionVersion1764324000000 } from './typeorm/migrations/1764324000000-add-session-version.js';
export {
  MAX_SESSION_VERSION,
  nextSessionVersion,
  SessionStore,
  SessionKeyTakenError,
  type SessionCounts,
  type SessionRecord,
  type StoredSession,
} from './session-store.interface.js';
export { TypeOrmSessionStore } from './typeorm/typeorm-session.store.js';
export { statementTimeoutFor, type TypeOrmSessionStoreOptions } from './typeorm/store-options.js';
export { MemorySessionStore } from './memory-session.store.js';
export { SessionCodec, type SessionData } from './session-codec.js';
export { SessionEngine, type DecodedRow, type SavedSession } from './session-engine.js';
export {
  SessionsService,
  SessionNotFoundError,
  type ClearExpiredOptions,
  type ClearExpiredResult,
  type StoredSessionInfo,
} from './sessions.service.js';
export { generateSessionKey, isWellFormedSessionKey } from './session-key.js';
export {
  SessionConflictError,
  SessionDataTooLargeError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
} from './session.errors.js';
export { TEST_COOKIE_KEY, TEST_COOKIE_VALUE, DEFAULT_COOKIE_AGE } from './session.constants.js';
