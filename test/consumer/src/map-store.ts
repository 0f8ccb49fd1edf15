import {
  nextSessionVersion,
  SessionKeyTakenError,
  type SessionCounts,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from 'nest-sessions';

/** A store of the app's own, through the package's store contract: rows in a Map. */
export class MapStore implements SessionStore {
  private readonly rows = new Map<string, StoredSession>();

  async load(key: string): Promise<StoredSession | undefined> {
    const row = this.rows.get(key);
    return row && row.expiresAt > new Date() ? row : undefined;
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    if (this.rows.has(key)) throw new SessionKeyTakenError();
    this.rows.set(key, { ...record, version: 0 });
  }

  async update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    if (this.rows.get(key)?.version !== version) return false;
    this.rows.set(key, { ...record, version: nextSessionVersion(version) });
    return true;
  }

  async delete(key: string, version?: number): Promise<boolean> {
    if (version !== undefined && this.rows.get(key)?.version !== version) return false;
    return this.rows.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.load(key)) !== undefined;
  }

  async clearExpired(now = new Date()): Promise<number> {
    let removed = 0;
    for (const [key, row] of this.rows) if (row.expiresAt <= now && this.rows.delete(key)) removed++;
    return removed;
  }

  async count(now = new Date()): Promise<SessionCounts> {
    const expired = [...this.rows.values()].filter((row) => row.expiresAt <= now).length;
    return { live: this.rows.size - expired, expired };
  }
}
