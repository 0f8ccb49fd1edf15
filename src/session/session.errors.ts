import {
  BadRequestException,
  ConflictException,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';

/**
 * The store could not be reached or failed; the client gets a 503 with a short message.
 * @public
 */
export class SessionStoreUnavailableError extends ServiceUnavailableException {
  constructor(options?: { cause?: unknown }) {
    super('Session storage is unavailable; try again shortly.', options);
  }
}

/**
 * The session's row disappeared while the request ran (a concurrent logout or cleanup), so
 * saving it would bring a deleted session back. Django answers this with a 400 as well.
 * @public
 */
export class SessionInterruptedError extends BadRequestException {
  constructor() {
    super('The session ended while this request was running; please retry.');
  }
}

/**
 * The row a save was for got a new key from a renewal meanwhile; the save goes again under
 * `key`. Never reaches the client.
 */
export class SessionMovedError extends Error {
  override name = 'SessionMovedError';
  constructor(
    readonly key: string,
    readonly state: { json: string; version: number },
  ) {
    super('The session was given a new key while this save waited.');
  }
}

/**
 * So many other requests saved the same session meanwhile that this save gave up (409).
 * @public
 */
export class SessionConflictError extends ConflictException {
  constructor() {
    super('The session is being changed by many requests at once; please retry.');
  }
}

/**
 * The session would be larger than `maxDataSize`; nothing was stored (413).
 * @public
 */
export class SessionDataTooLargeError extends PayloadTooLargeException {
  constructor(size: number, limit: number) {
    super(`The session would hold ${size} bytes, over the limit of ${limit}; nothing was saved.`);
  }

  /** Throws for `json` longer than `limit` bytes. */
  static check(json: string, limit: number): void {
    const size = Buffer.byteLength(json);
    if (size > limit) throw new SessionDataTooLargeError(size, limit);
  }
}

/**
 * Thrown at start for options that cannot work; the message says what to set.
 * @public
 */
export class SessionConfigError extends Error {
  override name = 'SessionConfigError';
}
