import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RequestSession } from './request-session.js';
import { SessionCodec } from './session-codec.js';
import type { ResolvedSessionOptions } from './session-options.js';
import { SessionWriter } from './session-writer.js';
import { SessionRows } from './session-rows.js';
import type { UserSessionRow } from './session-store.interface.js';
import { userIdFor } from './session-user.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';
import { TimedStore } from './timed-store.js';

/** One live session of a user, as a "where you are logged in" page shows it. */
export interface UserSession {
  /** Names the session in pages and revocations; not the key, which never leaves the server. */
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** Whether it is the session of the request that asked. */
  current: boolean;
}

/** The current session, or its key, that a listing marks and `revokeOthers()` keeps. */
export type CurrentSession = RequestSession | string | null | undefined;

const PUBLIC_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * The sessions of a user: listed from the store's user index, each verified (a row whose index
 * entry does not match its signed data is not the user's), and revoked by public id. A
 * revocation deletes the row: the session's next request finds none and is logged out, and a
 * save still running for it is refused (400) rather than bringing it back.
 */
@Injectable()
export class UserSessions {
  private readonly idKey: Buffer;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly timed: TimedStore,
    private readonly codec: SessionCodec,
    private readonly rows: SessionRows,
    private readonly writer: SessionWriter,
  ) {
    this.idKey = createHmac('sha256', options.secret).update('nest-sessions public session id').digest();
  }

  /** The public id of the session under `key`. */
  publicId(key: string): string {
    return createHmac('sha256', this.idKey).update(key).digest('base64url').slice(0, 22);
  }

  /** The live sessions of `userId`, most recently seen first. */
  async list(userId: string | number, current?: CurrentSession): Promise<UserSession[]> {
    const currentKey = keyOf(current);
    const rows = await this.rowsOf(String(userId));
    return rows
      .map((row) => ({
        id: this.publicId(row.key),
        createdAt: row.info!.createdAt,
        lastSeenAt: row.info!.lastSeenAt,
        expiresAt: row.expiresAt,
        ip: row.info!.ip,
        userAgent: row.info!.userAgent,
        current: row.key === currentKey,
      }))
      .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime());
  }

  /**
   * Ends the session of `userId` whose public id is `id`. Resolves `false`, ending nothing, for
   * an id that is malformed, unknown, or another user's.
   */
  async revoke(userId: string | number, id: unknown): Promise<boolean> {
    if (typeof id !== 'string' || !PUBLIC_ID.test(id)) return false;
    const row = (await this.rowsOf(String(userId))).find((candidate) => this.publicId(candidate.key) === id);
    return row ? this.end(row.key) : false;
  }

  /** Ends every session of `userId` but `current`; resolves how many ended. */
  async revokeOthers(userId: string | number, current: CurrentSession): Promise<number> {
    const keep = keyOf(current);
    return this.endAll((await this.rowsOf(String(userId))).filter((row) => row.key !== keep));
  }

  /** Ends every session of `userId` (after a password change, say); resolves how many ended. */
  async revokeAll(userId: string | number): Promise<number> {
    return this.endAll(await this.rowsOf(String(userId)));
  }

  private async endAll(rows: UserSessionRow[]): Promise<number> {
    const ended = await Promise.all(rows.map((row) => this.end(row.key)));
    return ended.filter(Boolean).length;
  }

  /** Deletes the row `key` after the saves of it queued in this process. */
  private async end(key: string): Promise<boolean> {
    let deleted = false;
    await this.writer.exclusive(key, async () => {
      deleted = await this.rows.delete(key);
      return undefined;
    });
    return deleted;
  }

  /** The user's live rows whose signed data names that user too. */
  private async rowsOf(userId: string): Promise<UserSessionRow[]> {
    const listed = this.timed.listByUser(userId, new Date());
    if (!listed) {
      throw new Error('The session store keeps no user index (listByUser): sessions of a user need one.');
    }
    return (await listed).filter((row) => {
      if (!row.info) return false;
      const decoded = this.codec.decode(row.key, row.data, row.expiresAt);
      return decoded !== undefined && userIdFor(decoded.data, this.options.userIdOf) === userId;
    });
  }
}

function keyOf(current: CurrentSession): string | null {
  if (current === null || current === undefined) return null;
  return typeof current === 'string' ? current : current.sessionKey;
}
