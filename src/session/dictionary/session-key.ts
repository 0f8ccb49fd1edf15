import { randomFillSync } from 'node:crypto';

const ALPHABET = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789', 'latin1');
/** Django's keys: 32 characters of `[a-z0-9]`, about 165 bits. */
export const SESSION_KEY_LENGTH = 32;
// Bytes at or above this value would bias the modulo; they are drawn again.
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);
const KEY_PATTERN = /^[a-z0-9]{32}$/;

// Keys draw their bytes from this pool, refilled from the operating system's CSPRNG a few
// kilobytes at a time: one call into it per hundred keys or so instead of one per key, which
// costs microseconds each (tens under load). Every byte is used once.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
const keyBytes = Buffer.alloc(SESSION_KEY_LENGTH);

/**
 * A new session key from the operating system's CSPRNG.
 * @public
 */
export function generateSessionKey(): string {
  for (let length = 0; length < SESSION_KEY_LENGTH;) {
    if (poolOffset === pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const byte = pool[poolOffset++];
    if (byte < UNBIASED_LIMIT) keyBytes[length++] = ALPHABET[byte % ALPHABET.length];
  }
  return keyBytes.toString('latin1');
}

/**
 * Whether `value` has the shape of a key this library issues. Anything else — too short, too
 * long, upper case, garbage — can never name a stored session and is not looked up.
 */
export function isWellFormedSessionKey(value: unknown): value is string {
  return typeof value === 'string' && KEY_PATTERN.test(value);
}
