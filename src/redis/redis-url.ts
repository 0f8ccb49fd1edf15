/** `REDIS_URL` names a Redis the server cannot use. */
export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

/** The Redis the demo uses when `REDIS_URL` is unset. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `url` without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Throws a {@link RedisUrlError} unless `url` is a `redis://` or `rediss://` URL. */
export function checkRedisUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new RedisUrlError(
      `REDIS_URL=${redactRedisUrl(url)} is not a Redis URL; use redis://host:port (or rediss:// for TLS).`,
    );
  }
}
