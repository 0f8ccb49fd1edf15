import {
  nextSessionVersion,
  type SessionInfo,
  type SessionRecord,
  type StoredSession,
} from '../session-store.interface.js';

/** A row's info as its `i` field holds it: `[userId, createdAt, lastSeenAt, ip, userAgent]`. */
type InfoTuple = [string | null, number, number, string | null, string | null];

/** The `i` field of a row with `info`; `''` without. */
export function encodeInfo(info: SessionInfo | undefined): string {
  if (!info) return '';
  const tuple: InfoTuple = [info.userId, info.createdAt.getTime(), info.lastSeenAt.getTime(), info.ip, info.userAgent];
  return JSON.stringify(tuple);
}

/** The info of an `i` field; `undefined` for none, or for one that is not what this store writes. */
export function decodeInfo(field: string | undefined): SessionInfo | undefined {
  if (!field) return undefined;
  try {
    const [userId, createdAt, lastSeenAt, ip, userAgent] = JSON.parse(field) as InfoTuple;
    return { userId, createdAt: new Date(createdAt), lastSeenAt: new Date(lastSeenAt), ip, userAgent };
  } catch {
    return undefined;
  }
}

/** A row's hash: a live session's fields, or `m` alone under the alias of a key a renewal replaced. */
export type RowHash = Partial<Record<'d' | 'e' | 'v' | 'i' | 'k' | 'm', string>>;

/**
 * The session a row's hash holds at `now`; `undefined` for no row, a pointer, a row past its
 * expiry (Redis removes it within milliseconds), or fields this store did not write.
 */
export function storedFromHash(hash: RowHash, now: number): StoredSession | undefined {
  const expiresAt = Number(hash.e);
  const version = Number(hash.v);
  if (hash.d === undefined || !(expiresAt > now) || !Number.isSafeInteger(version)) return undefined;
  const stored: StoredSession = { data: hash.d, expiresAt: new Date(expiresAt), version };
  const info = decodeInfo(hash.i);
  if (info) stored.info = info;
  if (hash.k) stored.keyIssuedAt = new Date(Number(hash.k));
  return stored;
}

/** A session's hash fields as the scripts take them: data, expiry, version, info, key issued. */
export function rowArgs(row: StoredSession): string[] {
  return [
    row.data,
    String(row.expiresAt.getTime()),
    String(row.version),
    encodeInfo(row.info),
    row.keyIssuedAt ? String(row.keyIssuedAt.getTime()) : '',
  ];
}

/** The arguments of a versioned update of a row to `record`: the version it must be at, the next, the fields. */
export function updateArgs(record: SessionRecord, version: number): string[] {
  const { data, expiresAt, info } = record;
  return [String(version), String(nextSessionVersion(version)), data, String(expiresAt.getTime()), encodeInfo(info)];
}
