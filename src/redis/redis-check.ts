import { createClient } from 'redis';
import { checkRedisUrl, redactRedisUrl, RedisUrlError } from './redis-url.js';

/** How long the check waits for Redis to answer. */
const CONNECT_TIMEOUT = 3_000;

/**
 * Reaches the Redis that `REDIS_URL` names once, before the server starts, so that one that does
 * not answer ends the start with one line naming `REDIS_URL`, not a client retrying forever.
 * Throws a {@link RedisUrlError}.
 */
export async function checkRedis(url: string): Promise<void> {
  checkRedisUrl(url);
  const client = createClient({ url, socket: { connectTimeout: CONNECT_TIMEOUT, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const message = (error as Error)?.message || String(error);
    throw new RedisUrlError(
      `REDIS_URL=${redactRedisUrl(url)}: Redis does not answer (${message}). Start it (redis-server), or point REDIS_URL at one.`,
    );
  } finally {
    if (client.isOpen) client.destroy();
  }
}
