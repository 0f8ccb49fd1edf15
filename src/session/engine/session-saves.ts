import type { RequestSession } from '../dictionary/request-session.js';
import { rowToWrite } from '../writer/row-to-write.js';
import { generateSessionKey } from '../dictionary/session-key.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { SessionOrigins } from './session-origins.js';
import { nextSessionVersion } from '../stores/session-store.interface.js';
import type { SessionClient } from '../dictionary/session-user.js';
import type { SessionWriter } from '../writer/session-writer.js';

/** What a save leaves the cookie to carry. */
export interface SavedSession {
  key: string;
  /** Seconds the cookie lives; `undefined` for a browser-session cookie. */
  maxAge: number | undefined;
}

/**
 * The writes one session's commit makes through the writer — a save, a refresh, a renewal, the
 * delete of a flushed session's row — each keeping the engine's record of the row
 * ({@link SessionOrigins}) in step and resolving what the cookie must carry.
 */
export class SessionSaves {
  constructor(
    private readonly options: ResolvedSessionOptions,
    private readonly writer: SessionWriter,
    private readonly origins: SessionOrigins,
  ) {}

  async deleteRow(session: RequestSession): Promise<void> {
    const row = this.origins.of(session);
    if (!row) return;
    await this.writer.delete(row.key);
    this.origins.forget(session);
  }

  /** Writes `session`: its changes over its row, or a new row when it has none or its key was cycled. */
  async save(session: RequestSession, now: Date, client?: SessionClient): Promise<SavedSession> {
    session.assertStorable();
    const row = this.origins.of(session);
    const key = session.sessionKey;
    const same = row !== undefined && key === row.key;
    // A new row, or a login's new key, starts the session anew (its absolute age counts from here).
    const moment = { since: same && row.info ? row.info.createdAt : now, now, client, previous: row?.info };
    const changes = session.changes();
    const saved = same
      ? await this.writer.update(row.key, {
          changes,
          read: row,
          own: { data: () => session.peek(), json: () => session.json() },
          moment,
        })
      : await this.writer.create(
          key ?? generateSessionKey(),
          session.json(),
          rowToWrite(this.options, session.peek(), moment),
          moment,
          row && { key: row.key, state: row, changes },
        );
    // Saved under a key a renewal issued just now, the old one's renewal is done.
    const keyIssuedAt = same ? (saved.key !== row.key ? now : row.keyIssuedAt) : undefined;
    const { version, json, info, expiresAt } = saved;
    this.origins.set(session, { key: saved.key, version, json, info, expiresAt, keyIssuedAt });
    session.markSaved(saved.key, json, saved.merged, saved.data);
    return { key: saved.key, maxAge: this.cookieAge(session, expiresAt, now) };
  }

  /** Rewrites an unchanged `session`'s row with a new expiry (`saveEveryRequest`); `undefined` when dropped. */
  async refresh(session: RequestSession, now: Date, client?: SessionClient): Promise<SavedSession | undefined> {
    const row = this.origins.of(session);
    if (!row || row.key !== session.sessionKey) return this.save(session, now, client);
    const since = row.info?.createdAt ?? now;
    const terms = rowToWrite(this.options, session.peek(), { since, now, client, previous: row.info });
    if (!(await this.writer.refresh(row.key, row, terms))) return undefined;
    this.origins.set(session, { ...row, ...terms, version: nextSessionVersion(row.version) });
    return { key: row.key, maxAge: this.cookieAge(session, terms.expiresAt, now) };
  }

  /** Gives `session` a new key, data kept (OWASP's renewal); the old key works for `renewGrace`. */
  async renew(session: RequestSession, now: Date): Promise<SavedSession | undefined> {
    const row = this.origins.of(session);
    // Another request's renewal may have moved this request's save already.
    if (!row?.expiresAt || row.key !== session.sessionKey || !this.origins.renewDue(session)) return undefined;
    const newKey = generateSessionKey();
    const graceUntil = new Date(now.getTime() + this.options.renewGrace * 1000);
    if (!(await this.writer.renew(row.key, { ...row, expiresAt: row.expiresAt }, newKey, graceUntil))) return undefined;
    this.origins.set(session, { ...row, key: newKey, version: nextSessionVersion(row.version), keyIssuedAt: now });
    session.markSaved(newKey, row.json, false);
    return { key: newKey, maxAge: this.cookieAge(session, row.expiresAt, now) };
  }

  private cookieAge(session: RequestSession, expiresAt: Date, now: Date): number | undefined {
    return this.origins.cookieAge(session, expiresAt, now);
  }
}
