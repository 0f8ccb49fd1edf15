import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RequestSession } from '../dictionary/request-session.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SessionWriter } from '../writer/session-writer.js';
import type { UserSessionRow } from '../stores/session-store.interface.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session.constants.js';

/**
 * One live session of a user, as a "where you are logged in" page shows it.
 * @public
 */
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

/**
 * The current session, or its key, that a listing marks and `revokeOthers()` keeps.
 * @public
 */
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
    @Inject(RESOLVED_SESSION_OPTIONS) options: ResolvedSessionOptions,
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
    const rows = await this.writer.listOfUser(String(userId));
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
    const row = (await this.writer.listOfUser(String(userId))).find((candidate) => this.publicId(candidate.key) === id);
    return row ? this.writer.delete(row.key) : false;
  }

  /** Ends every session of `userId` but `current`; resolves how many ended. */
  async revokeOthers(userId: string | number, current: CurrentSession): Promise<number> {
    const keep = keyOf(current);
    return this.endAll((await this.writer.listOfUser(String(userId))).filter((row) => row.key !== keep));
  }

  /** Ends every session of `userId` (after a password change, say); resolves how many ended. */
  async revokeAll(userId: string | number): Promise<number> {
    return this.endAll(await this.writer.listOfUser(String(userId)));
  }

  private async endAll(rows: UserSessionRow[]): Promise<number> {
    const ended = await Promise.all(rows.map((row) => this.writer.delete(row.key)));
    return ended.filter(Boolean).length;
  }
}

function keyOf(current: CurrentSession): string | null {
  if (current === null || current === undefined) return null;
  return typeof current === 'string' ? current : current.sessionKey;
}
