/** DI token of the resolved {@link ResolvedSessionOptions}. */
export const RESOLVED_SESSION_OPTIONS = Symbol('RESOLVED_SESSION_OPTIONS');

/** Django's `SESSION_COOKIE_AGE` default: two weeks, in seconds. */
export const DEFAULT_COOKIE_AGE = 1_209_600;

/** Shortest `secret` accepted outside development. */
export const MIN_SECRET_LENGTH = 32;

/** Where the middleware leaves the per-request session handle on the request object. */
export const SESSION_HANDLE = Symbol('nest-sessions.handle');

/** Marks handlers that take `@Session()`, so the interceptor loads the session before them. */
export const USES_SESSION = 'nest-sessions:uses-session';
