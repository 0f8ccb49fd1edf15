import { createHmac } from 'node:crypto';
import { SessionCodec } from './session-codec.js';
import { generateSessionKey } from '../dictionary/session-key.js';

const SECRET = 's'.repeat(32);
const OLD_SECRET = 'o'.repeat(32);
const EXPIRES = new Date('2030-01-02T03:04:05.678Z');

describe('SessionCodec', () => {
  const codec = new SessionCodec(SECRET);
  const key = generateSessionKey();
  const data = { user: 42, cart: { items: ['a', 'b'] }, note: 'semi;colon: "quoted"' };
  const json = JSON.stringify(data);

  it('decodes what it encodes, with the exact JSON', () => {
    const stored = codec.encode(key, json, EXPIRES);
    expect(stored.endsWith(`:${json}`)).toBe(true);
    expect(codec.decode(key, stored, EXPIRES)).toEqual({ data, json });
    expect(codec.decode(key, stored, EXPIRES)!.json).toBe(json);
  });

  it('verify() returns the JSON of a good row', () => {
    expect(codec.verify(key, codec.encode(key, json, EXPIRES), EXPIRES)).toBe(json);
  });

  it('verify() refuses a row of another secret', () => {
    expect(new SessionCodec(OLD_SECRET).verify(key, codec.encode(key, json, EXPIRES), EXPIRES)).toBeUndefined();
  });

  describe('tampering', () => {
    const stored = codec.encode(key, json, EXPIRES);
    const colon = stored.indexOf(':');

    it('refuses JSON edited after the signature', () => {
      const edited = stored.replace('"user":42', '"user":1');
      expect(edited).not.toBe(stored);
      expect(codec.decode(key, edited, EXPIRES)).toBeUndefined();
    });

    it('refuses an edited signature', () => {
      const first = stored[0] === 'A' ? 'B' : 'A';
      expect(codec.decode(key, first + stored.slice(1), EXPIRES)).toBeUndefined();
    });

    it('refuses data copied to another session key', () => {
      expect(codec.decode(generateSessionKey(), stored, EXPIRES)).toBeUndefined();
    });

    it.each([
      ['missing its last character', stored.slice(0, -1)],
      ['cut inside the signature', stored.slice(0, colon - 1)],
      ['cut right after the separator', stored.slice(0, colon + 1)],
    ])('refuses a row %s', (_label, truncated) => {
      expect(codec.decode(key, truncated, EXPIRES)).toBeUndefined();
    });

    it('refuses the empty string', () => {
      expect(codec.decode(key, '', EXPIRES)).toBeUndefined();
    });

    it('refuses text without the separator', () => {
      expect(codec.decode(key, stored.replace(':', ''), EXPIRES)).toBeUndefined();
      expect(codec.decode(key, json, EXPIRES)).toBeUndefined();
    });
  });

  describe('secret fallbacks', () => {
    const oldRow = new SessionCodec(OLD_SECRET).encode(key, json, EXPIRES);

    it('reads rows of an old secret listed in secretFallbacks', () => {
      const rotated = new SessionCodec(SECRET, ['f'.repeat(32), OLD_SECRET]);
      expect(rotated.decode(key, oldRow, EXPIRES)).toEqual({ data, json });
    });

    it('does not read rows of an old secret that is not listed', () => {
      expect(codec.decode(key, oldRow, EXPIRES)).toBeUndefined();
      expect(new SessionCodec(SECRET, ['f'.repeat(32)]).decode(key, oldRow, EXPIRES)).toBeUndefined();
    });

    it('signs new rows with the current secret', () => {
      const rotated = new SessionCodec(SECRET, [OLD_SECRET]);
      expect(codec.decode(key, rotated.encode(key, json, EXPIRES), EXPIRES)).toEqual({ data, json });
    });
  });

  it.each([
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['a string', '"text"'],
    ['null', 'null'],
    ['text that is not JSON', '{not json'],
  ])('reads a signed row holding %s as undefined', (_label, body) => {
    const stored = codec.encode(key, body, EXPIRES);
    expect(codec.verify(key, stored, EXPIRES)).toBe(body);
    expect(codec.decode(key, stored, EXPIRES)).toBeUndefined();
  });
});

describe('SessionCodec row integrity', () => {
  const codec = new SessionCodec(SECRET);
  const key = generateSessionKey();
  const json = '{"user":42}';
  const stored = codec.encode(key, json, EXPIRES);

  it('marks the stored form, so that a later form can tell the two apart', () => {
    expect(stored.startsWith('$2:')).toBe(true);
  });

  it('refuses a row whose expiry was moved, by as little as a millisecond', () => {
    expect(codec.verify(key, stored, new Date(EXPIRES.getTime() + 1))).toBeUndefined();
    expect(codec.verify(key, stored, new Date(EXPIRES.getTime() + 86_400_000))).toBeUndefined();
    expect(codec.verify(key, stored, new Date(NaN))).toBeUndefined();
  });

  it('still reads a row of the first form (key and JSON signed), whatever its expiry', () => {
    const legacy = `${createHmac('sha256', createHmac('sha256', SECRET).update('nest-sessions:session-data').digest())
      .update(key)
      .update('\n')
      .update(json)
      .digest('base64url')}:${json}`;
    expect(codec.decode(key, legacy, EXPIRES)).toEqual({ data: { user: 42 }, json });
    expect(codec.decode(key, legacy.replace('42', '43'), EXPIRES)).toBeUndefined();
  });

  it('refuses an invalid expiry when signing', () => {
    expect(() => codec.encode(key, json, new Date(NaN))).toThrow(RangeError);
  });

  it.each([
    ['a multi-byte character in the signature', stored.slice(0, 5) + 'é' + stored.slice(6)],
    ['an emoji in the signature', stored.slice(0, 5) + '🍪' + stored.slice(7)],
    ['a NUL in the signature', stored.slice(0, 5) + '\0' + stored.slice(6)],
    ['the signature of the first form under the marker', '$2:' + stored.slice(3).replace(/^./, 'é')],
    ['only the marker', '$2:'],
  ])('refuses, without throwing, a row with %s', (_label, row) => {
    expect(() => codec.decode(key, row, EXPIRES)).not.toThrow();
    expect(codec.decode(key, row, EXPIRES)).toBeUndefined();
  });

  it('reads anything that is not text as no row', () => {
    for (const value of [null, undefined, 42, Buffer.from(stored), { stored }]) {
      expect(codec.decode(key, value, EXPIRES)).toBeUndefined();
    }
  });

  it('never throws on random text or random bytes (2,000 seeded rows)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2_000; i++) {
      const length = Math.floor(random() * 120);
      const chars = Array.from({ length }, () => String.fromCodePoint(Math.floor(random() * 0x10ffff) & ~0x800));
      const text = i % 2 ? chars.join('') : Buffer.from(chars.map((c) => c.codePointAt(0)! & 0xff)).toString('latin1');
      const row = i % 3 === 0 ? stored.slice(0, 3 + (i % 50)) + text : text;
      expect(codec.decode(key, row, EXPIRES)).toBeUndefined();
    }
  });
});
