import type { IncomingMessage } from 'node:http';
import type { SessionData } from './json-value.js';
import type { SessionInfo } from '../stores/session-store.interface.js';

/**
 * The dictionary key a session's user is bound under (`bindUser()`), as Django's `_auth_user_id`.
 * @public
 */
export const SESSION_USER_KEY = '_auth_user_id';

/** The longest user id the index column holds. */
export const MAX_USER_ID_LENGTH = 191;

/**
 * Which user a session's data belongs to; a string or number, or nothing.
 * @public
 */
export type UserIdOf = (data: SessionData) => unknown;

/**
 * The default {@link UserIdOf}: the user bound with `bindUser()`, else passport's serialized user
 * (`passport.user`) when it is a string or a number.
 */
export const defaultUserIdOf: UserIdOf = (data) => {
  const bound = data[SESSION_USER_KEY];
  if (bound !== undefined) return bound;
  const passport = data.passport as { user?: unknown } | undefined;
  return typeof passport === 'object' && passport !== null ? passport.user : undefined;
};

/** `userId` as `bindUser()` stores it; throws a TypeError for one the index column cannot hold. */
export function userIdToBind(userId: string | number): string {
  const id = String(userId);
  if (id.length === 0 || id.length > MAX_USER_ID_LENGTH || (typeof userId === 'number' && !Number.isFinite(userId))) {
    throw new TypeError(
      `bindUser() takes a user id of 1 to ${MAX_USER_ID_LENGTH} characters, got ${JSON.stringify(userId)}`,
    );
  }
  return id;
}

/** `userIdOf(data)` as the index column takes it: a non-empty string of at most 191 characters, or `null`. */
export function userIdFor(data: SessionData, userIdOf: UserIdOf): string | null {
  const id = userIdOf(data);
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) return null;
  const text = String(id);
  return text.length > 0 && text.length <= MAX_USER_ID_LENGTH ? text : null;
}

/** The client a request came from, as a row records it. */
export interface SessionClient {
  ip: string | null;
  userAgent: string | null;
}

/** A user agent as the column holds it: printable ASCII, at most 255 characters. */
export function clientOf(ip: string | undefined, userAgent: string | undefined): SessionClient {
  return {
    ip: ip ? ip.slice(0, 45) : null,
    userAgent: userAgent ? userAgent.replace(/[^\x20-\x7e]/g, '?').slice(0, 255) : null,
  };
}

/** A request whose client a save records. */
export type ClientRequest = Pick<IncomingMessage, 'headers' | 'socket'>;

/** The client of `req`: Express's or Fastify's `req.ip` (which follow the trusted proxies), else the socket's address. */
export function clientOfRequest(req: ClientRequest | undefined): SessionClient | undefined {
  if (!req) return undefined;
  const ip: unknown = Reflect.get(req, 'ip');
  return clientOf(typeof ip === 'string' ? ip : req.socket?.remoteAddress, req.headers['user-agent']);
}

/** The info a save writes: the user of `data`, the row's start (`since`), now, and the client. */
export function sessionInfo(
  data: SessionData,
  userIdOf: UserIdOf,
  since: Date,
  now: Date,
  client: SessionClient | undefined,
  previous: SessionInfo | undefined,
): SessionInfo {
  return {
    userId: userIdFor(data, userIdOf),
    createdAt: since,
    lastSeenAt: now,
    ip: client?.ip ?? previous?.ip ?? null,
    userAgent: client?.userAgent ?? previous?.userAgent ?? null,
  };
}
