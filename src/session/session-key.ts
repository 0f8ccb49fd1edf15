import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Django's keys: 32 characters of `[a-z0-9]`, about 165 bits. */
export const SESSION_KEY_LENGTH = 32;
// Bytes at or above this value would bias the modulo; they are drawn again.
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);
const KEY_PATTERN = /^[a-z0-9]{32}$/;

/** A new session key from the operating system's CSPRNG. */
export function generateSessionKey(): string {
  let key = '';
  while (key.length < SESSION_KEY_LENGTH) {
    for (const byte of randomBytes(SESSION_KEY_LENGTH + 8)) {
      if (byte < UNBIASED_LIMIT) key += ALPHABET[byte % ALPHABET.length];
      if (key.length === SESSION_KEY_LENGTH) break;
    }
  }
  return key;
}

/**
 * Whether `value` has the shape of a key this library issues. Anything else — too short, too
 * long, upper case, garbage — can never name a stored session and is not looked up.
 */
export function isWellFormedSessionKey(value: unknown): value is string {
  return typeof value === 'string' && KEY_PATTERN.test(value);
}
