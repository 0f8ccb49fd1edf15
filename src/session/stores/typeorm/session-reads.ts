import type { StoredSession } from '../session-store.interface.js';
import type { LoadedRow } from './session-rows.js';
import type { Statements } from './session-statements.js';
import type { StatementRunner } from './statement-result.js';

/** A key a load asks for, with the alias it may answer to after a renewal. */
export interface KeyAsked {
  key: string;
  alias: string | undefined;
}

/** Reads the rows of sessions, one key or many in one statement, as the store contract gives them. */
export class SessionReads {
  constructor(
    private readonly sql: Statements,
    private readonly run: StatementRunner,
    private readonly readExpiry: (value: unknown) => Date,
  ) {}

  /** A loaded row as the store contract gives it. */
  stored(row: LoadedRow): StoredSession {
    const stored: StoredSession = {
      data: row.session_data,
      expiresAt: this.readExpiry(row.expire_date),
      version: Number(row.version),
    };
    if (row.key_issued_at !== null && row.key_issued_at !== undefined)
      stored.keyIssuedAt = this.readExpiry(row.key_issued_at);
    // Rows written before the info columns existed have none.
    if (row.created_at !== null && row.created_at !== undefined) {
      stored.info = {
        userId: row.user_id ?? null,
        createdAt: this.readExpiry(row.created_at),
        lastSeenAt: this.readExpiry(row.last_seen_at ?? row.created_at),
        ip: row.client_ip ?? null,
        userAgent: row.user_agent ?? null,
      };
    }
    return stored;
  }

  /** The live rows under the keys `asked`, in their order, else those their aliases name; one statement. */
  async rows(asked: KeyAsked[]): Promise<(LoadedRow | undefined)[]> {
    const now = this.sql.time(new Date());
    const keys = asked.map(({ key }) => key);
    // No alias, no match: `previous_key = NULL` holds for no row.
    const aliases = asked.map(({ alias }) => alias ?? null);
    if (asked.length === 1) {
      const { records = [] } = await this.run(this.sql.load, this.sql.loadParameters(keys, aliases, now));
      // Its own row first, should the key also be another row's renewed one.
      const rows = records as LoadedRow[];
      const [{ key, alias }] = asked;
      return [rows.find((row) => row.session_key === key) ?? rows.find((row) => alias && row.previous_key === alias)];
    }
    const sql = this.sql.loadMany(asked.length);
    const { records = [] } = await this.run(sql, this.sql.loadParameters(keys, aliases, now));
    const byKey = new Map<string, LoadedRow>();
    const byAlias = new Map<string, LoadedRow>();
    const nowTime = Date.now();
    for (const row of records as LoadedRow[]) {
      byKey.set(row.session_key!, row);
      // A row answers to its alias only while the grace lasts.
      const graceLasts = row.previous_until != null && this.readExpiry(row.previous_until).getTime() > nowTime;
      if (row.previous_key && graceLasts) byAlias.set(row.previous_key, row);
    }
    return asked.map(({ key, alias }) => byKey.get(key) ?? (alias === undefined ? undefined : byAlias.get(alias)));
  }
}
