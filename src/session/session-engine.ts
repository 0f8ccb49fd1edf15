import { Inject, Injectable } from '@nestjs/common';
import { RequestSession } from './request-session.js';
import type { SessionData } from './session-codec.js';
import { generateSessionKey } from './session-key.js';
import type { ResolvedSessionOptions } from './session-options.js';
import { SessionRows, type RowState } from './session-rows.js';
import { SessionDataTooLargeError, SessionMovedError, SessionStoreUnavailableError } from './session.errors.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';
import { retireOldRow } from './retire-old-row.js';
import type { SavedRow } from './session-save.js';
import { SessionWriter } from './session-writer.js';
import { AbsoluteTimeout } from './absolute-timeout.js';
import { nextSessionVersion, type SessionInfo } from './session-store.interface.js';
import { sessionInfo, type SessionClient } from './session-user.js';

/** The outcome of a save: what the cookie must carry. */
export interface SavedSession {
  key: string;
  /** Seconds the cookie lives; `undefined` for a browser-session cookie. */
  maxAge: number | undefined;
}

/** What a new session starts from. */
const NEW_SESSION = () => ({ key: null, data: {}, json: '{}' });

/** The row the store holds for a session: its key, version and JSON as last read or written. */
interface StoredRow extends RowState {
  key: string;
  info?: SessionInfo;
  /** When the row expires, as last read or written. */
  expiresAt?: Date;
  /** When a renewal issued the key; absent for the key the session began with. */
  keyIssuedAt?: Date;
}

/**
 * Django's `SessionStore` between the dictionary ({@link RequestSession}) and the store: opens
 * sessions, and writes back what a request did — its changes onto the newest row, a new row for
 * a new or cycled key, a flushed session's row deleted. It keeps, per session, the row it came
 * from; the dictionary knows nothing of storage.
 */
@Injectable()
export class SessionEngine {
  private readonly stored = new WeakMap<RequestSession, StoredRow>();
  private readonly absolute: AbsoluteTimeout;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly rows: SessionRows,
    private readonly writer: SessionWriter,
  ) {
    this.absolute = new AbsoluteTimeout(options.absoluteTimeout);
  }

  /**
   * The session stored under `key`, or a new empty one when `key` is `null`, unknown, expired,
   * past its absolute timeout, or its row fails verification (such a row is removed: its key is
   * never adopted).
   */
  async open(key: string | null): Promise<RequestSession> {
    const row = key === null ? undefined : await this.rows.read(key);
    const usable = row?.verified === true && !this.absolute.ended(row.info, new Date());
    if (row && !usable) await this.rows.removeUnusable(row);
    if (!row || !usable) return new RequestSession(NEW_SESSION(), this.options);
    const session = new RequestSession(row, this.options);
    const { version, json, info, expiresAt, keyIssuedAt } = row;
    this.stored.set(session, { key: row.key, version, json, info, expiresAt, keyIssuedAt });
    return session;
  }

  /**
   * Whether an unchanged `session` is due a refresh now: always, unless `touchAfter` says its row
   * was refreshed too recently.
   */
  touchDue(session: RequestSession): boolean {
    const touchAfter = this.options.touchAfter;
    if (touchAfter === undefined) return true;
    const seen = this.stored.get(session)?.info?.lastSeenAt;
    return seen === undefined || Date.now() - seen.getTime() >= touchAfter * 1000;
  }

  /**
   * Refreshes an unchanged `session` (`saveEveryRequest`): its row's expiry, last activity and
   * client, at the version it was read. A refresh that finds the row changed meanwhile is
   * dropped, neither merged nor retried: the write that came first refreshed it. Resolves what
   * the cookie must carry, or `undefined` when dropped.
   */
  async refresh(session: RequestSession, now = new Date(), client?: SessionClient): Promise<SavedSession | undefined> {
    const row = this.stored.get(session);
    if (!row || row.key !== session.sessionKey) return this.save(session, now, client);
    const since = row.info?.createdAt ?? now;
    const info = sessionInfo(session.peek(), this.options.userIdOf, since, now, client, row.info);
    const expiresAt = this.absolute.cap(session.getExpiryDate(now), since);
    let refreshed = false;
    await this.writer.exclusive(row.key, async (state) => {
      // This process wrote the row since it was read: the refresh has lost already.
      if (state && state.version !== row.version) return state;
      if (!(await this.rows.update(row.key, row.json, expiresAt, row.version, info))) return undefined;
      refreshed = true;
      return { json: row.json, version: nextSessionVersion(row.version) };
    });
    if (!refreshed) return undefined;
    this.stored.set(session, { ...row, version: nextSessionVersion(row.version), info });
    return { key: row.key, maxAge: this.cookieAge(session, expiresAt, now) };
  }

  /**
   * A new session in place of `session` (express-session's `regenerate()`): no data, a new
   * provisional key, `session` left as it was. When `session` has a row, the new one descends
   * from it: its first save retires that row, carrying over writes other requests made to it
   * meanwhile (as a `cycleKey()` does); or the row goes if the new session ends with no data.
   */
  restart(session: RequestSession): RequestSession {
    const row = this.stored.get(session);
    const next = new RequestSession(
      row ? { key: row.key, data: JSON.parse(row.json) as SessionData, json: row.json } : NEW_SESSION(),
      this.options,
    );
    next.restart();
    if (row) this.stored.set(next, row);
    return next;
  }

  /** `session` as its row holds it now (express-session's `reload()`): a new empty one if none. */
  reopen(session: RequestSession): Promise<RequestSession> {
    return this.open(this.rowKeyOf(session));
  }

  /** The key of the row the store holds for `session`, if any. */
  rowKeyOf(session: RequestSession): string | null {
    return this.stored.get(session)?.key ?? null;
  }

  /** Deletes the row of `session` (a flushed session's), after the saves queued before. */
  async deleteRow(session: RequestSession): Promise<void> {
    const row = this.stored.get(session);
    if (!row) return;
    await this.writer.exclusive(row.key, async () => {
      await this.rows.delete(row.key);
      return undefined;
    });
    this.stored.delete(session);
  }

  /**
   * Writes `session`: its changes over its row, or a new row when it has none or its key was
   * cycled (the old row then goes). Resolves what the cookie must carry.
   */
  async save(session: RequestSession, now = new Date(), client?: SessionClient): Promise<SavedSession> {
    session.assertStorable();
    const row = this.stored.get(session);
    const key = session.sessionKey;
    const same = row !== undefined && key === row.key;
    // A new row, or a login's new key, starts the session anew (its absolute age counts from here).
    const since = same && row.info ? row.info.createdAt : now;
    const info = sessionInfo(session.peek(), this.options.userIdOf, since, now, client, row?.info);
    const asked = this.absolute.cap(session.getExpiryDate(now), since);
    const saved = same
      ? await this.update(session, row, asked, info)
      : await this.create(session, key ?? generateSessionKey(), row, asked, info);
    // A save merged with others writes the expiry of the merged data: that is the row's now.
    const expiresAt = saved.expiresAt ?? asked;
    // Saved under a key a renewal issued just now, the old one's renewal is done.
    const keyIssuedAt = same ? (saved.key !== row.key ? now : row.keyIssuedAt) : undefined;
    this.stored.set(session, {
      key: saved.key,
      version: saved.version,
      json: saved.json,
      info,
      expiresAt,
      keyIssuedAt,
    });
    session.markSaved(saved.key, saved.json, saved.merged, saved.data);
    return { key: saved.key, maxAge: this.cookieAge(session, expiresAt, now) };
  }

  /** The cookie's `Max-Age` for a row saved to expire at `expiresAt`; `undefined` at browser close. */
  private cookieAge(session: RequestSession, expiresAt: Date, now: Date): number | undefined {
    if (session.getExpireAtBrowserClose()) return undefined;
    const lifetime = Math.ceil((expiresAt.getTime() - now.getTime()) / 1000);
    return Math.max(0, Math.min(session.getExpiryAge(now), lifetime));
  }

  /** Saves `session`'s changes over its row; under the row's new key if a renewal moved it meanwhile. */
  private async update(
    session: RequestSession,
    row: StoredRow,
    expiresAt: Date,
    info: SessionInfo,
  ): Promise<SavedRow & { key: string }> {
    let json: string | undefined;
    const changes = session.changes();
    // The whole dictionary stands for the row the request read; on a row a renewal moved, only
    // the changes apply (onto what that row holds now).
    let own: (() => string) | undefined = () => (json ??= session.json());
    let key = row.key;
    let read: RowState = row;
    for (;;) {
      try {
        return { key, ...(await this.writer.update(key, { changes, read, json: own, expiresAt, info })) };
      } catch (error) {
        if (!(error instanceof SessionMovedError)) throw error;
        ({ key } = error);
        read = error.state;
        own = undefined;
      }
    }
  }

  /**
   * The cookie for `session` as its row stands, unsaved: for a request that came in through a
   * renewed key, which must learn the row's new one.
   */
  cookieOf(session: RequestSession, now = new Date()): SavedSession {
    const row = this.stored.get(session)!;
    return { key: row.key, maxAge: this.cookieAge(session, row.expiresAt ?? session.getExpiryDate(now), now) };
  }

  /** Whether `session`'s key is older than `renewAfter`. */
  renewDue(session: RequestSession): boolean {
    const renewAfter = this.options.renewAfter;
    if (renewAfter === undefined) return false;
    const row = this.stored.get(session);
    const issued = row?.keyIssuedAt ?? row?.info?.createdAt;
    return issued !== undefined && Date.now() - issued.getTime() >= renewAfter * 1000;
  }

  /**
   * Gives `session` a new key, data kept (OWASP's renewal), in one conditional UPDATE at the
   * version last read or written; the old key keeps working for `renewGrace`. A renewal that
   * finds the row changed meanwhile is skipped: the next request renews. Resolves what the
   * cookie must carry, or `undefined` when skipped.
   */
  async renew(session: RequestSession, now = new Date()): Promise<SavedSession | undefined> {
    const row = this.stored.get(session);
    // Another request's renewal may have moved this request's save already.
    if (!row || row.key !== session.sessionKey || !row.expiresAt || !this.renewDue(session)) return undefined;
    const expiresAt = row.expiresAt;
    const newKey = generateSessionKey();
    const graceUntil = new Date(now.getTime() + this.options.renewGrace * 1000);
    let renewed = false;
    await this.writer.exclusive(row.key, async (state) => {
      if (state && state.version !== row.version) return state;
      renewed = await this.rows.renew(row.key, newKey, row.json, expiresAt, row.version, graceUntil);
      // Renewed: the old key's queue knows nothing of the row any more.
      return renewed ? undefined : state;
    });
    if (!renewed) return undefined;
    const version = nextSessionVersion(row.version);
    this.stored.set(session, { ...row, key: newKey, version, keyIssuedAt: now });
    session.markSaved(newKey, row.json, false);
    return { key: newKey, maxAge: this.cookieAge(session, expiresAt, now) };
  }

  /**
   * A new row for `session` under `key` (or a fresh key while it is taken). After a `cycleKey()`
   * (a login) the old row then goes — but only once the new row holds every write that reached
   * the old one, so that no write answered meanwhile is lost.
   */
  private async create(
    session: RequestSession,
    key: string,
    old: StoredRow | undefined,
    expiresAt: Date,
    info: SessionInfo,
  ): Promise<SavedRow & { key: string }> {
    const json = session.json();
    SessionDataTooLargeError.check(json, this.options.maxDataSize);
    key = await this.rows.insert(key, json, expiresAt, info);
    const moved = { key, json, version: 0, merged: false };
    if (!old) return moved;
    const changes = session.changes();
    try {
      await this.writer.exclusive(old.key, (state) =>
        retireOldRow(this.rows, this.options, {
          old: old.key,
          current: state ?? old,
          moved,
          includes: old.version,
          changes,
          info,
        }),
      );
    } catch (error) {
      // The login did not happen: its new row must not linger as a second copy of the session.
      // After a store failure the old row may be gone already, and the new one is all there is.
      if (!(error instanceof SessionStoreUnavailableError)) void this.rows.delete(key).catch(() => undefined);
      throw error;
    }
    return moved;
  }
}
