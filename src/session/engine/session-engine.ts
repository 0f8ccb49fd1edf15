import { Inject, Injectable } from '@nestjs/common';
import { outlivedAbsolute } from '../writer/absolute-timeout.js';
import { RequestSession } from '../dictionary/request-session.js';
import type { SessionData } from '../dictionary/json-value.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SessionOrigins } from './session-origins.js';
import {
  mustDeleteCookie,
  mustDeleteRow,
  mustRenew,
  mustSave,
  mustSetCookie,
  type RequestFacts,
  type SessionFacts,
} from './session-policy.js';
import type { DecodedRow } from '../rows/session-row.js';
import type { SessionCounts } from '../stores/session-store.interface.js';
import type { SessionClient } from '../dictionary/session-user.js';
import { SessionSaves, type SavedSession } from './session-saves.js';
import { SessionWriter } from '../writer/session-writer.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session.constants.js';

/** What a commit asks of the cookie: to carry a key, to go (`'delete'`), or nothing (`undefined`). */
export type CookieChange = SavedSession | 'delete' | undefined;

/** The circumstances of a commit. */
export interface CommitContext {
  request: RequestFacts;
  /** The response's status: a 5xx saves nothing. */
  status: number;
  /** The session cookie as the client sent it. */
  cookieValue?: string;
  /** The client a save records. */
  client?: SessionClient;
  now?: Date;
  /** Whether a key due its renewal is renewed now; on unless told. */
  renew?: boolean;
  /** The session's facts, when the caller read them just now; read here otherwise. */
  facts?: SessionFacts;
}

/** What a new session starts from. */
const NEW_SESSION = () => ({ key: null, data: {}, json: '{}' });

/**
 * Django's `SessionStore` between the dictionary ({@link RequestSession}) and the rows: opens
 * sessions, and commits what a request did by the response policy — its changes onto the
 * newest row, a new row for a new or cycled key, a flushed session's row deleted, a due key
 * renewed — and says what the cookie must carry. All of it goes through the writer.
 */
@Injectable()
export class SessionEngine {
  private readonly origins: SessionOrigins;
  private readonly saves: SessionSaves;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly writer: SessionWriter,
  ) {
    this.origins = new SessionOrigins(options);
    this.saves = new SessionSaves(options, writer, this.origins);
  }

  /**
   * The session stored under `key`, or a new empty one when `key` is `null`, unknown, expired,
   * past its absolute timeout, or its row fails verification (such a row is removed: its key is
   * never adopted).
   */
  async open(key: string | null): Promise<RequestSession> {
    const row = key === null ? undefined : await this.writer.read(key);
    const usable = row?.verified === true && !outlivedAbsolute(this.options.absoluteTimeout, row.info, new Date());
    if (row && !usable) await this.writer.removeUnusable(row);
    if (!row || !usable) return new RequestSession(NEW_SESSION(), this.options);
    const session = new RequestSession(row, this.options);
    const { version, json, info, expiresAt, keyIssuedAt } = row;
    this.origins.set(session, { key: row.key, version, json, info, expiresAt, keyIssuedAt });
    return session;
  }

  /**
   * A new session in place of `session` (express-session's `regenerate()`): no data, a new
   * provisional key, `session` left as it was. When `session` has a row, the new one descends
   * from it: its first save retires that row, carrying over writes other requests made to it
   * meanwhile (as a `cycleKey()` does); or the row goes if the new session ends with no data.
   */
  restart(session: RequestSession): RequestSession {
    const row = this.origins.of(session);
    const from = row ? { key: row.key, data: JSON.parse(row.json) as SessionData, json: row.json } : NEW_SESSION();
    const next = new RequestSession(from, this.options);
    next.restart();
    if (row) this.origins.set(next, row);
    return next;
  }

  /** `session` as its row holds it now (express-session's `reload()`): a new empty one if none. */
  reopen(session: RequestSession): Promise<RequestSession> {
    return this.open(this.origins.of(session)?.key ?? null);
  }

  /** What the response policy needs to know of `session`, loaded for a request that sent `cookieValue`. */
  facts(session: RequestSession, request: RequestFacts, cookieValue?: string): SessionFacts {
    return this.origins.facts(session, request, cookieValue);
  }

  /**
   * Commits `session` as the response policy says for `context`: a flushed session's row
   * deleted; a changed session saved, an unchanged one refreshed when due (the refresh dropped
   * if a real write came first); a key due its renewal renewed. Resolves what the cookie must do.
   */
  async commit(session: RequestSession, context: CommitContext): Promise<CookieChange> {
    const { request, status, client, now = new Date() } = context;
    const facts = context.facts ?? this.facts(session, request, context.cookieValue);
    if (mustDeleteRow(facts)) await this.saves.deleteRow(session);
    const saved = !mustSave(request, facts, status)
      ? undefined
      : facts.changed
        ? await this.saves.save(session, now, client)
        : await this.saves.refresh(session, now, client);
    if (mustDeleteCookie(request, facts)) return 'delete';
    // A renewal that lost to a write waits for the next request.
    const renewed =
      context.renew !== false && mustRenew(facts, status) ? await this.saves.renew(session, now) : undefined;
    const cookie = renewed ?? saved;
    if (!mustSetCookie(request, facts, cookie !== undefined)) return undefined;
    // Unsaved, for a request that came in through a renewed key: the row's own key.
    const row = this.origins.of(session)!;
    return (
      cookie ?? {
        key: row.key,
        maxAge: this.origins.cookieAge(session, row.expiresAt ?? session.getExpiryDate(now), now),
      }
    );
  }

  /** The live row under `key`, decoded, for the sessions API. */
  read(key: string): Promise<DecodedRow | undefined> {
    return this.writer.read(key);
  }

  /** Deletes the row `key`, after the writes of it queued before; whether a row went. */
  delete(key: string): Promise<boolean> {
    return this.writer.delete(key);
  }

  exists(key: string): Promise<boolean> {
    return this.writer.exists(key);
  }

  count(now: Date): Promise<SessionCounts> {
    return this.writer.count(now);
  }

  clearExpired(now: Date, batchSize: number): AsyncIterable<number> {
    return this.writer.clearExpired(now, batchSize);
  }
}
