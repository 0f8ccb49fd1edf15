/** The prefix of the Redis floor's keys, apart from those of the other servers. */
export const REDIS_FLOOR_PREFIX = 'redis-floor:';
