import { randomBytes } from 'node:crypto';
import { REDIS_FLOOR_PREFIX } from './redis-floor-keys.js';

/** `count` sessions made through `url`, as Cookie header values, for the routes that carry one. */
export async function makeSessions(url: string, count: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) cookies.push(await makeSession(url, i));
  return cookies;
}

/** One new session made through `url`, as a Cookie header value. */
export async function makeSession(url: string, user: number): Promise<string> {
  const res = await fetch(`${url}/bench/put?k=user&v=${user}`);
  const cookie = res.headers.getSetCookie().find((line) => /^(sessionid|connect\.sid|sessionId)=/.test(line));
  if (!cookie) throw new Error(`${url} set no session cookie: ${res.status} ${await res.text()}`);
  return cookie.split(';')[0];
}

/** `count` keys of the Redis floor's own, as Cookie header values. */
export async function makeRedisFloorKeys(
  redis: { set(key: string, value: string): Promise<unknown> },
  count: number,
): Promise<string[]> {
  const keys = Array.from({ length: count }, () => randomBytes(16).toString('hex'));
  await Promise.all(keys.map((key) => redis.set(REDIS_FLOOR_PREFIX + key, '{}')));
  return keys.map((key) => `sessionid=${key}`);
}

/** A cookie of a session's size for the servers that keep none. */
export const randomSessionCookie = (): string => `sessionid=${randomBytes(16).toString('hex')}`;
