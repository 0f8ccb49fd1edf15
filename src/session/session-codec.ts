import { createHmac, timingSafeEqual } from 'node:crypto';

/** The decoded contents of a stored session: its dictionary. */
export type SessionData = Record<string, unknown>;

/** What {@link SessionCodec.decode} returns: the dictionary and the exact JSON it came from. */
export interface DecodedSession {
  data: SessionData;
  json: string;
}

const SIGNATURE_LENGTH = 43; // base64url of a SHA-256 HMAC
const PURPOSE = 'nest-sessions:session-data';

/**
 * Turns a session dictionary into the signed text stored in `session_data`, and back.
 *
 * Stored form: `<signature>:<json>`. The HMAC covers the session key as well as the JSON, so a
 * row's data copied under another key does not verify. Keys are derived from the secrets once,
 * at start, so the per-request cost is one HMAC.
 */
export class SessionCodec {
  private readonly signingKey: Buffer;
  private readonly verifyingKeys: Buffer[];

  constructor(secret: string, secretFallbacks: readonly string[] = []) {
    this.signingKey = deriveKey(secret);
    this.verifyingKeys = [this.signingKey, ...secretFallbacks.map(deriveKey)];
  }

  /** The text to store for `data` under `sessionKey`, given `json = JSON.stringify(data)`. */
  encode(sessionKey: string, json: string): string {
    return `${sign(this.signingKey, sessionKey, json)}:${json}`;
  }

  /**
   * The verified JSON inside `stored`, or `undefined` when the signature does not match the
   * current secret nor any fallback (an edited, forged or foreign row).
   */
  verify(sessionKey: string, stored: string): string | undefined {
    if (stored.length <= SIGNATURE_LENGTH || stored[SIGNATURE_LENGTH] !== ':') return undefined;
    const given = Buffer.from(stored.slice(0, SIGNATURE_LENGTH));
    const json = stored.slice(SIGNATURE_LENGTH + 1);
    for (const key of this.verifyingKeys) {
      if (timingSafeEqual(given, Buffer.from(sign(key, sessionKey, json)))) return json;
    }
    return undefined;
  }

  /**
   * The dictionary inside `stored` with the JSON it was read from, or `undefined` when it does
   * not verify or does not hold a JSON object.
   */
  decode(sessionKey: string, stored: string): DecodedSession | undefined {
    const json = this.verify(sessionKey, stored);
    if (json === undefined) return undefined;
    try {
      const data: unknown = JSON.parse(json);
      return isPlainObject(data) ? { data, json } : undefined;
    } catch {
      return undefined;
    }
  }
}

function deriveKey(secret: string): Buffer {
  return createHmac('sha256', secret).update(PURPOSE).digest();
}

function sign(key: Buffer, sessionKey: string, json: string): string {
  return createHmac('sha256', key).update(sessionKey).update('\n').update(json).digest('base64url');
}

function isPlainObject(value: unknown): value is SessionData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
