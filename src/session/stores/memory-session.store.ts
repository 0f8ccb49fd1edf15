import {
  nextSessionVersion,
  SessionKeyTakenError,
  type SessionCounts,
  type SessionRecord,
  type SessionRenewal,
  type SessionStore,
  type StoredSession,
  type UserSessionRow,
} from './session-store.interface.js';

type MemoryRow = SessionRecord & { version: number; keyIssuedAt?: Date };

/**
 * Keeps sessions in this process's memory: for tests and single-process experiments. Sessions
 * are lost on restart and not shared between processes.
 * @public
 */
export class MemorySessionStore implements SessionStore {
  private readonly rows = new Map<string, MemoryRow>();
  /** The aliases of keys a renewal replaced: the key each now answers for, and until when. */
  private readonly renewed = new Map<string, { key: string; until: Date }>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async load(key: string, alias?: string): Promise<StoredSession | undefined> {
    let actual = key;
    let row = this.liveRow(key);
    const renewed = alias === undefined ? undefined : this.renewed.get(alias);
    if (!row && renewed && renewed.until > this.now()) {
      actual = renewed.key;
      row = this.liveRow(actual);
    }
    if (!row) return undefined;
    const { data, expiresAt, version, info, keyIssuedAt } = row;
    return { data, expiresAt, version, info, keyIssuedAt, ...(actual !== key && { key: actual }) };
  }

  async renew(key: string, { newKey, record, version, graceUntil, alias }: SessionRenewal): Promise<boolean> {
    const row = this.rows.get(key);
    if (row?.version !== version || this.rows.has(newKey)) return false;
    this.rows.delete(key);
    this.rows.set(newKey, {
      ...row,
      data: record.data,
      expiresAt: record.expiresAt,
      version: nextSessionVersion(version),
      keyIssuedAt: this.now(),
    });
    this.renewed.set(alias, { key: newKey, until: graceUntil });
    return true;
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    if (this.rows.has(key)) throw new SessionKeyTakenError();
    this.rows.set(key, { data: record.data, expiresAt: record.expiresAt, info: record.info, version: 0 });
  }

  async update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    if (this.rows.get(key)?.version !== version) return false;
    const { data, expiresAt, info } = record;
    this.rows.set(key, {
      data,
      expiresAt,
      info,
      version: nextSessionVersion(version),
      keyIssuedAt: this.rows.get(key)?.keyIssuedAt,
    });
    return true;
  }

  async delete(key: string, version?: number): Promise<boolean> {
    if (version !== undefined && this.rows.get(key)?.version !== version) return false;
    return this.rows.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.liveRow(key) !== undefined;
  }

  async clearExpired(now: Date = this.now(), limit = Infinity): Promise<number> {
    let removed = 0;
    for (const [key, row] of this.rows) {
      if (removed >= limit) break;
      if (row.expiresAt <= now) removed += Number(this.rows.delete(key));
    }
    return removed;
  }

  async count(now: Date = this.now()): Promise<SessionCounts> {
    let expired = 0;
    for (const row of this.rows.values()) expired += Number(row.expiresAt <= now);
    return { live: this.rows.size - expired, expired };
  }

  async listByUser(userId: string, now: Date = this.now()): Promise<UserSessionRow[]> {
    const found: UserSessionRow[] = [];
    for (const [key, row] of this.rows) {
      if (row.info?.userId === userId && row.expiresAt > now) found.push({ key, ...row });
    }
    return found;
  }

  private liveRow(key: string): MemoryRow | undefined {
    const row = this.rows.get(key);
    return row && row.expiresAt > this.now() ? row : undefined;
  }
}
