import { SessionConfigError } from '../../session.errors.js';
import type { RedisConnection } from './redis-connection.js';

/** The one `maxmemory-policy` under which Redis never drops a key the store still needs. */
const SAFE_POLICY = 'noeviction';

/** How Redis answers a command the user may not run, or one renamed away. */
const REFUSED = /^(NOPERM|ERR unknown command)/;

const WHAT_TO_DO =
  "Set maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction, or your Redis provider's parameter " +
  'of that name), or keep sessions with CachedSessionStore (cached_db), whose user index is in the database.';

/**
 * Throws a {@link SessionConfigError} unless every primary of `redis` runs with `noeviction`: any
 * other policy lets Redis drop the index of a user's sessions while the sessions live on, and
 * listing or revoking them would then miss some. The policy is read from `INFO memory`, which
 * answers where `CONFIG` is renamed or disabled, as on managed Redis services.
 */
export async function checkNoEviction(redis: RedisConnection): Promise<void> {
  let replies: { address?: string; reply: unknown }[];
  try {
    replies = await redis.everyPrimary(['INFO', 'memory']);
  } catch (error) {
    // A Redis that does not answer fails the check as it is; one that refuses INFO is told of.
    if (!REFUSED.test(String((error as Error)?.message))) throw error;
    throw new SessionConfigError(
      `RedisSessionStore could not read the maxmemory-policy of Redis (INFO memory: ${(error as Error)?.message}), ` +
        'and runs only where it is noeviction. Allow the INFO command to its Redis user, with Redis on noeviction; ' +
        'or keep sessions with CachedSessionStore (cached_db).',
    );
  }
  for (const { address, reply } of replies) {
    const policy = /^maxmemory_policy:(\S+)/m.exec(String(reply))?.[1];
    if (policy === SAFE_POLICY) continue;
    const where = address ? `Redis at ${address}` : 'Redis';
    const found = policy ? `runs with maxmemory-policy ${policy}` : 'does not tell its maxmemory-policy (INFO memory)';
    throw new SessionConfigError(
      `RedisSessionStore needs maxmemory-policy noeviction, but ${where} ${found}: under an evicting policy Redis ` +
        `may drop the index of a user's sessions while they live, and listing or revoking them would miss some. ` +
        WHAT_TO_DO,
    );
  }
}
