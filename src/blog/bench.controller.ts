import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { SESSION_EXPIRY_KEY, Session, TEST_COOKIE_KEY } from '../session/index.js';
import type { BlogSession } from './blog-session.js';

/** Keys the demo itself relies on; load tests must not overwrite them. */
const RESERVED_KEYS = new Set(['logged_in', TEST_COOKIE_KEY, SESSION_EXPIRY_KEY]);

/** Two plain routes for load and concurrency tests of the session library. */
@Controller('bench')
export class BenchController {
  /** Sets the top-level key `k` to the string `v`. */
  @Get('put')
  put(@Session() session: BlogSession, @Query('k') key: unknown, @Query('v') value: unknown) {
    if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
      throw new BadRequestException('Give one key k and one value v, e.g. /bench/put?k=color&v=blue');
    }
    if (RESERVED_KEYS.has(key)) throw new BadRequestException(`The key "${key}" is reserved by the demo.`);
    session.set(key, value);
    return 'ok';
  }

  /** The whole session as a JSON object. */
  @Get('get')
  get(@Session() session: BlogSession) {
    return session.toJSON();
  }
}
