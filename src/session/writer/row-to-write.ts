import { capAtAbsolute } from './absolute-timeout.js';
import type { SessionData } from '../dictionary/json-value.js';
import { EXPIRY_KEY, expiryDate } from '../dictionary/session-expiry.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { SessionInfo } from '../stores/session-store.interface.js';
import { sessionInfo, type SessionClient } from '../dictionary/session-user.js';

/** When and for whom a row is written: the session's start, the write's time, the client. */
export interface WriteMoment {
  /** When the session began (created, or its key cycled): the absolute timeout counts from it. */
  since: Date;
  now: Date;
  client?: SessionClient;
  /** The row's info before, whose client stands when the write knows none. */
  previous?: SessionInfo;
}

/** What a row holds beside its data. */
export interface RowTerms {
  expiresAt: Date;
  info: SessionInfo;
}

/**
 * The expiry and info of a row holding `data`, written at `moment`: the expiry the data asks
 * for (its custom expiry, else `cookieAge`) capped at the absolute timeout, and the user the data
 * names. Every write of a row — a save, a merge, a refresh, a login's carry-over — takes them
 * from here.
 */
export function rowToWrite(
  options: ResolvedSessionOptions,
  data: Readonly<SessionData>,
  moment: WriteMoment,
): RowTerms {
  const { since, now } = moment;
  const asked = expiryDate(Object.hasOwn(data, EXPIRY_KEY) ? data[EXPIRY_KEY] : undefined, options.cookieAge, now);
  return {
    expiresAt: capAtAbsolute(options.absoluteTimeout, asked, since),
    info: sessionInfo(data, options.userIdOf, since, now, moment.client, moment.previous),
  };
}
