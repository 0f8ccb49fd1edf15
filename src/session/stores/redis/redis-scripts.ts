import { redisScript } from './redis-connection.js';

// A row is a hash: d (signed data), e (expiry, ms since the epoch), v (version), i (info, JSON),
// k (when a renewal issued the key, ms). The alias of a key a renewal replaced holds only m, the
// key the row moved to, until its grace ends. Redis itself removes a row at its expiry (PEXPIREAT).

/**
 * Creates a row unless the key holds anything. ARGV: data, expiry, version, info, key issued, and
 * when Redis is to drop the key, if before the expiry (a cache's).
 */
export const CREATE_ROW = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'e', ARGV[2], 'v', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'i', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'k', ARGV[5]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[6] or ARGV[2])
return 1
`);

/** Overwrites a row still at a version. ARGV: expected version, next version, data, expiry, info. */
export const UPDATE_ROW = redisScript(`
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[3], 'e', ARGV[4], 'v', ARGV[2])
if ARGV[5] == '' then redis.call('HDEL', KEYS[1], 'i') else redis.call('HSET', KEYS[1], 'i', ARGV[5]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
`);

/**
 * Deletes a row (at a version, unless ARGV[1] is empty); a renewed key's pointer is left alone.
 * Returns the info of the row removed ('' without one), or nil when none was.
 */
export const DELETE_ROW = redisScript(`
local row = redis.call('HMGET', KEYS[1], 'v', 'i')
if not row[1] then return false end
if ARGV[1] ~= '' and row[1] ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return row[2] or ''
`);

/** Makes an alias point to the key a row was renewed to, until the grace ends. ARGV: new key, grace end. */
export const POINT_TO_ROW = redisScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'm', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
`);

/**
 * Adds a session to a user's index, scored by the latest expiry it was written with, drops the
 * entries whose sessions have all expired, and lets the index expire with its last session.
 * ARGV: expiry, session key, now.
 */
export const INDEX_SESSION = redisScript(`
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 1
`);

// The cache of `CachedSessionStore` holds rows in the same hash, with the primary's version. A
// reader that misses leaves a lease (l) that only its own fill may turn into a row, and that any
// write removes, so that a fill read from the primary before a newer write never lands after it.

/** The cached row, or, on a miss, a new lease. ARGV: lease token, lease lifetime. */
export const CACHE_READ = redisScript(`
local row = redis.call('HGETALL', KEYS[1])
if #row > 0 then return row end
redis.call('HSET', KEYS[1], 'l', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {}
`);

/**
 * Fills the cache with a row read from the primary, if the lease is still the reader's.
 * ARGV: lease token, data, expiry, version, info, key issued, cache expiry.
 */
export const CACHE_FILL = redisScript(`
if redis.call('HGET', KEYS[1], 'l') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'e', ARGV[3], 'v', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'i', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'k', ARGV[6]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[7])
return 1
`);

/**
 * After the primary took an update from a version: moves the cached row along with it when the
 * cache holds that version, and otherwise drops whatever the key holds (an older row, a lease).
 * ARGV: previous version, version, data, expiry, info, cache expiry.
 */
export const CACHE_UPDATE = redisScript(`
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('HSET', KEYS[1], 'd', ARGV[3], 'e', ARGV[4], 'v', ARGV[2])
if ARGV[5] == '' then redis.call('HDEL', KEYS[1], 'i') else redis.call('HSET', KEYS[1], 'i', ARGV[5]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
return 1
`);
