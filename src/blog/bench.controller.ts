import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { SESSION_EXPIRY_KEY, Session, TEST_COOKIE_KEY } from '../session/index.js';
import type { BlogSession } from './blog-session.js';

/** Longest pause `wait` may ask for. */
const MAX_WAIT_MS = 5_000;

/** Keys the demo itself relies on; load tests must not overwrite them. */
const RESERVED_KEYS = new Set(['logged_in', TEST_COOKIE_KEY, SESSION_EXPIRY_KEY]);

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
    if (RESERVED_KEYS.has(key)) throw new BadRequestException(`The key "${key}" is reserved by the demo.`);
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
