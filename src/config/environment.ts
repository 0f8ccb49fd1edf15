import type { BlogModuleOptions } from '../blog/index.js';
import { DEFAULT_REDIS_URL } from '../redis/redis-url.js';
import { SESSION_STORE_KINDS, type SessionStoreKind } from '../redis/session-store.js';
import type { SessionModuleOptions } from '../session/index.js';

/** The HTTP platforms the demo server runs on (`HTTP_ADAPTER`): Nest's Express adapter or its Fastify one. */
export type HttpAdapterKind = 'express' | 'fastify';

export const HTTP_ADAPTER_KINDS: readonly HttpAdapterKind[] = ['express', 'fastify'];

/** The demo server's settings, read from the environment (Django's names where one exists). */
export interface Environment {
  /** Port to listen on. Default 3000. */
  PORT: number;
  /** The HTTP platform: `express` (default) or `fastify`. */
  HTTP_ADAPTER: HttpAdapterKind;
  /** Database to use; unset = the SQLite file `data/nest-sessions.sqlite`. */
  DATABASE_URL?: string;
  /** Where sessions are kept: `db` (default), `cache` (Redis alone) or `cached_db` (Redis in front of the database). */
  SESSION_STORE: SessionStoreKind;
  /** The Redis of the `cache` and `cached_db` stores. Default `redis://127.0.0.1:6379`. */
  REDIS_URL: string;
  /** Signs session data; required when NODE_ENV is not development/test. */
  SESSION_SECRET?: string;
  SESSION_COOKIE_AGE?: number;
  SESSION_EXPIRE_AT_BROWSER_CLOSE?: boolean;
  SESSION_SAVE_EVERY_REQUEST?: boolean;
  SESSION_COOKIE_SECURE?: boolean;
  SESSION_COOKIE_NAME?: string;
  /** Seconds after a login when a session ends however active (off when unset). */
  SESSION_ABSOLUTE_TIMEOUT?: number;
  /** Seconds within which a rolling session is not refreshed again (off when unset). */
  SESSION_TOUCH_AFTER?: number;
  /** Seconds after which a session's key is renewed (off when unset), and the old key's grace. */
  SESSION_RENEW_AFTER?: number;
  SESSION_RENEW_GRACE?: number;
  /** The lousy login's credentials. Default root / pass. */
  LOUSY_LOGIN_USERNAME?: string;
  LOUSY_LOGIN_PASSWORD?: string;
}

/** The variables {@link validateEnvironment} reads. */
export const ENVIRONMENT_KEYS = [
  'PORT',
  'HTTP_ADAPTER',
  'DATABASE_URL',
  'SESSION_STORE',
  'REDIS_URL',
  'SESSION_SECRET',
  'SESSION_COOKIE_AGE',
  'SESSION_EXPIRE_AT_BROWSER_CLOSE',
  'SESSION_SAVE_EVERY_REQUEST',
  'SESSION_COOKIE_SECURE',
  'SESSION_COOKIE_NAME',
  'SESSION_ABSOLUTE_TIMEOUT',
  'SESSION_TOUCH_AFTER',
  'SESSION_RENEW_AFTER',
  'SESSION_RENEW_GRACE',
  'LOUSY_LOGIN_USERNAME',
  'LOUSY_LOGIN_PASSWORD',
] as const satisfies readonly (keyof Environment)[];

/** An environment variable holds a value the server cannot use. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/**
 * Checks and converts the variables of {@link Environment} (for `ConfigModule`'s `validate`).
 * Throws an {@link EnvironmentError} naming the first variable that is wrong.
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const text = (name: string) => {
    const value = raw[name];
    // Environment variables are text; a validate() caller may hand over numbers or booleans.
    return value === undefined || value === '' ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
  };
  const integer = (name: string, min: number, max: number) => {
    const value = text(name);
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new EnvironmentError(`${name} must be a whole number from ${min} to ${max}, got "${value}".`);
    }
    return number;
  };
  const flag = (name: string) => {
    const value = text(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (TRUE.includes(value)) return true;
    if (FALSE.includes(value)) return false;
    throw new EnvironmentError(`${name} must be true or false, got "${text(name)}".`);
  };
  const oneOf = <T extends string>(name: string, kinds: readonly T[], fallback: T): T => {
    const value = text(name) ?? fallback;
    if (!(kinds as readonly string[]).includes(value)) {
      throw new EnvironmentError(`${name} must be one of ${kinds.join(', ')}, got "${value}".`);
    }
    return value as T;
  };
  return {
    PORT: integer('PORT', 0, 65_535) ?? 3000,
    HTTP_ADAPTER: oneOf('HTTP_ADAPTER', HTTP_ADAPTER_KINDS, 'express'),
    DATABASE_URL: text('DATABASE_URL'),
    SESSION_STORE: oneOf('SESSION_STORE', SESSION_STORE_KINDS, 'db'),
    REDIS_URL: text('REDIS_URL') ?? DEFAULT_REDIS_URL,
    SESSION_SECRET: text('SESSION_SECRET'),
    SESSION_COOKIE_AGE: integer('SESSION_COOKIE_AGE', 1, Number.MAX_SAFE_INTEGER),
    SESSION_EXPIRE_AT_BROWSER_CLOSE: flag('SESSION_EXPIRE_AT_BROWSER_CLOSE'),
    SESSION_SAVE_EVERY_REQUEST: flag('SESSION_SAVE_EVERY_REQUEST'),
    SESSION_COOKIE_SECURE: flag('SESSION_COOKIE_SECURE'),
    SESSION_COOKIE_NAME: text('SESSION_COOKIE_NAME'),
    SESSION_ABSOLUTE_TIMEOUT: integer('SESSION_ABSOLUTE_TIMEOUT', 1, Number.MAX_SAFE_INTEGER),
    SESSION_TOUCH_AFTER: integer('SESSION_TOUCH_AFTER', 1, Number.MAX_SAFE_INTEGER),
    SESSION_RENEW_AFTER: integer('SESSION_RENEW_AFTER', 1, Number.MAX_SAFE_INTEGER),
    SESSION_RENEW_GRACE: integer('SESSION_RENEW_GRACE', 1, Number.MAX_SAFE_INTEGER),
    LOUSY_LOGIN_USERNAME: text('LOUSY_LOGIN_USERNAME'),
    LOUSY_LOGIN_PASSWORD: text('LOUSY_LOGIN_PASSWORD'),
  };
}

/** The session options the environment asks for (unset ones keep the library's defaults). */
export function sessionOptionsFrom(env: Environment): SessionModuleOptions {
  return {
    secret: env.SESSION_SECRET,
    cookieAge: env.SESSION_COOKIE_AGE,
    expireAtBrowserClose: env.SESSION_EXPIRE_AT_BROWSER_CLOSE,
    saveEveryRequest: env.SESSION_SAVE_EVERY_REQUEST,
    cookieSecure: env.SESSION_COOKIE_SECURE,
    cookieName: env.SESSION_COOKIE_NAME,
    absoluteTimeout: env.SESSION_ABSOLUTE_TIMEOUT,
    touchAfter: env.SESSION_TOUCH_AFTER,
    renewAfter: env.SESSION_RENEW_AFTER,
    renewGrace: env.SESSION_RENEW_GRACE,
  };
}

export function blogOptionsFrom(env: Environment): BlogModuleOptions {
  return {
    username: env.LOUSY_LOGIN_USERNAME,
    password: env.LOUSY_LOGIN_PASSWORD,
    secret: env.SESSION_SECRET,
    sessionCookieName: env.SESSION_COOKIE_NAME,
    secureCookies: env.SESSION_COOKIE_SECURE,
  };
}
