import type { SessionData } from '../dictionary/json-value.js';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What {@link SessionCodec.decode} returns: the dictionary and the exact JSON it came from. */
export interface DecodedSession {
  data: SessionData;
  json: string;
}

const SIGNATURE_LENGTH = 43; // base64url of a SHA-256 HMAC
const PURPOSE = 'nest-sessions:session-data';
const ALIAS_PURPOSE = 'nest-sessions:renewed-key';
/** Hex characters of an alias: 160 bits, within the 40 of the `previous_key` column. */
const ALIAS_LENGTH = 40;
/**
 * Marks the current stored form. `$` is not a base64url character, so a row of the first form
 * (a bare signature) can never look like one of this form, and the next form gets a new marker.
 */
const MARKER = '$2:';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Turns a session dictionary into the signed text stored in `session_data`, and back.
 *
 * Stored form: `$2:<signature>:<json>`. The HMAC covers the session key, the row's expiry (to the
 * millisecond) and the JSON, so data copied under another key, or a row whose expiry was moved
 * in the database, does not verify. Rows of the first form, `<signature>:<json>` (key and JSON
 * signed, no expiry), still verify, and are rewritten in the current form by their next save.
 * Keys are derived from the secrets once, at start, so the per-request cost is one HMAC.
 *
 * Verification never throws: any text at all (wrong length, multi-byte characters, NUL, empty)
 * is either a row this codec signed or `undefined`.
 */
export class SessionCodec {
  private readonly signingKey: Buffer;
  private readonly verifyingKeys: Buffer[];
  private readonly aliasKey: Buffer;
  /**
   * The last row that verified. Parallel requests on one session read the same row: checking it
   * again then costs a comparison of the text, not an HMAC over it.
   */
  private lastVerified: { sessionKey: string; stored: string; expiry: number; json: string } | undefined;

  constructor(secret: string, secretFallbacks: readonly string[] = []) {
    this.signingKey = deriveKey(secret);
    this.verifyingKeys = [this.signingKey, ...secretFallbacks.map((fallback) => deriveKey(fallback))];
    this.aliasKey = deriveKey(secret, ALIAS_PURPOSE);
  }

  /**
   * What a row a renewal moved away from `sessionKey` answers to while its grace lasts: a keyed
   * hash of the key, never the key itself, so that someone who can write the store but does not
   * hold the secret cannot point a key of their choosing at a row. (Keys still in their grace
   * when the secret changes stop answering: a grace is short.)
   */
  aliasOf(sessionKey: string): string {
    return createHmac('sha256', this.aliasKey).update(sessionKey).digest('hex').slice(0, ALIAS_LENGTH);
  }

  /** The text to store for `json` (`JSON.stringify` of the data) under `sessionKey`, expiring at `expiresAt`. */
  encode(sessionKey: string, json: string, expiresAt: Date): string {
    const expiry = expiryText(expiresAt);
    if (expiry === undefined) throw new RangeError('A session row needs a valid expiry date to be signed');
    return `${MARKER}${sign(this.signingKey, sessionKey, expiry, json)}:${json}`;
  }

  /**
   * The verified JSON inside `stored`, or `undefined` when it is not signed by the current secret
   * nor any fallback for this key and expiry (an edited, forged, moved or foreign row).
   */
  verify(sessionKey: string, stored: unknown, expiresAt: Date): string | undefined {
    if (typeof stored !== 'string') return undefined;
    const last = this.lastVerified;
    const time = expiresAt instanceof Date ? expiresAt.getTime() : NaN;
    if (last && last.sessionKey === sessionKey && last.expiry === time && last.stored === stored) return last.json;
    let json: string | undefined;
    if (stored.startsWith(MARKER)) {
      const expiry = expiryText(expiresAt);
      if (expiry === undefined) return undefined;
      json = this.check(stored.slice(MARKER.length), (key, body) => sign(key, sessionKey, expiry, body));
    } else {
      json = this.check(stored, (key, body) => sign(key, sessionKey, undefined, body));
    }
    if (json !== undefined) this.lastVerified = { sessionKey, stored, expiry: time, json };
    return json;
  }

  /**
   * The verified JSON inside `stored` when it is the text of an object (the JSON of a dictionary,
   * left for the reader to parse when it needs the data), else `undefined`. What this codec
   * signs is always `JSON.stringify` of a dictionary, so a text that verifies is one; its shape
   * is checked all the same, so that no signed text but an object's is taken as a session.
   */
  verifyObject(sessionKey: string, stored: unknown, expiresAt: Date): string | undefined {
    const json = this.verify(sessionKey, stored, expiresAt);
    return json !== undefined && json.startsWith('{') && json.endsWith('}') ? json : undefined;
  }

  /**
   * The dictionary inside `stored` with the JSON it was read from, or `undefined` when it does
   * not verify or does not hold a JSON object.
   */
  decode(sessionKey: string, stored: unknown, expiresAt: Date): DecodedSession | undefined {
    const json = this.verify(sessionKey, stored, expiresAt);
    if (json === undefined) return undefined;
    try {
      const data: unknown = JSON.parse(json);
      return isPlainObject(data) ? { data, json } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The JSON of `signed` (`<signature>:<json>`) when one of the keys gives its signature. */
  private check(signed: string, signature: (key: Buffer, json: string) => string): string | undefined {
    if (signed.length <= SIGNATURE_LENGTH || signed[SIGNATURE_LENGTH] !== ':') return undefined;
    const givenText = signed.slice(0, SIGNATURE_LENGTH);
    // Only base64url text has the byte length timingSafeEqual needs: anything else (a multi-byte
    // character, say) is no signature of ours.
    if (!BASE64URL.test(givenText)) return undefined;
    const given = Buffer.from(givenText, 'latin1');
    const json = signed.slice(SIGNATURE_LENGTH + 1);
    for (const key of this.verifyingKeys) {
      if (timingSafeEqual(given, Buffer.from(signature(key, json), 'latin1'))) return json;
    }
    return undefined;
  }
}

function deriveKey(secret: string, purpose = PURPOSE): Buffer {
  return createHmac('sha256', secret).update(purpose).digest();
}

/** HMAC of key, expiry and JSON; the first stored form signed no expiry. */
function sign(key: Buffer, sessionKey: string, expiry: string | undefined, json: string): string {
  const hmac = createHmac('sha256', key).update(sessionKey).update('\n');
  if (expiry !== undefined) hmac.update(expiry).update('\n');
  return hmac.update(json).digest('base64url');
}

/** The expiry as signed: milliseconds since the epoch, what every store keeps exactly. */
function expiryText(expiresAt: Date): string | undefined {
  const time = expiresAt instanceof Date ? expiresAt.getTime() : NaN;
  return Number.isFinite(time) ? String(time) : undefined;
}

function isPlainObject(value: unknown): value is SessionData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
