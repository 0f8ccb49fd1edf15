import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { Session, TEST_COOKIE_KEY } from '../session/index.js';
import type { BlogSession } from './blog-session.js';

/** Longest pause `wait` may ask for. */
const MAX_WAIT_MS = 5_000;

/** Keys the demo's logins and test cookie rely on: passport's, connect-flash's, the lousy login's. */
const DEMO_KEYS = new Set(['logged_in', 'passport', 'flash', TEST_COOKIE_KEY]);

/**
 * Whether a visitor must not write `key`: one of the demo's own, or any key beginning with `_`,
 * which the library keeps for itself (the bound user `_auth_user_id`, a custom expiry), as
 * Django does. Writing either would let a visitor log in as anyone, or outlive the expiry.
 */
function isReserved(key: string): boolean {
  return key.startsWith('_') || DEMO_KEYS.has(key);
}

/** Two plain routes for load and concurrency tests of the session library. */
@Controller('bench')
export class BenchController {
  /**
   * Sets the top-level key `k` to the string `v`. With `wait=MS` it first holds the loaded
   * session that long (at most 5 s), to overlap other requests in concurrency tests.
   */
  @Get('put')
  async put(
    @Session() session: BlogSession,
    @Query('k') key: unknown,
    @Query('v') value: unknown,
    @Query('wait') wait?: unknown,
  ) {
    if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
      throw new BadRequestException('Give one key k and one value v, e.g. /bench/put?k=color&v=blue');
    }
    if (isReserved(key))
      throw new BadRequestException(`The key "${key}" is reserved by the demo or the session library.`);
    if (wait !== undefined) {
      const ms = Number(wait);
      if (typeof wait !== 'string' || !Number.isInteger(ms) || ms < 0 || ms > MAX_WAIT_MS) {
        throw new BadRequestException(`wait is a whole number of milliseconds up to ${MAX_WAIT_MS}.`);
      }
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    session.set(key, value);
    return 'ok';
  }

  /** The whole session as a JSON object. */
  @Get('get')
  get(@Session() session: BlogSession) {
    return session.toJSON();
  }
}
