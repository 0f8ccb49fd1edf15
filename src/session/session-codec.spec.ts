import { SessionCodec } from './session-codec.js';
import { generateSessionKey } from './session-key.js';

const SECRET = 's'.repeat(32);
const OLD_SECRET = 'o'.repeat(32);

describe('SessionCodec', () => {
  const codec = new SessionCodec(SECRET);
  const key = generateSessionKey();
  const data = { user: 42, cart: { items: ['a', 'b'] }, note: 'semi;colon: "quoted"' };
  const json = JSON.stringify(data);

  it('decodes what it encodes, with the exact JSON', () => {
    const stored = codec.encode(key, json);
    expect(stored.endsWith(`:${json}`)).toBe(true);
    expect(codec.decode(key, stored)).toEqual({ data, json });
    expect(codec.decode(key, stored)!.json).toBe(json);
  });

  it('verify() returns the JSON of a good row', () => {
    expect(codec.verify(key, codec.encode(key, json))).toBe(json);
  });

  it('verify() refuses a row of another secret', () => {
    expect(new SessionCodec(OLD_SECRET).verify(key, codec.encode(key, json))).toBeUndefined();
  });

  describe('tampering', () => {
    const stored = codec.encode(key, json);
    const colon = stored.indexOf(':');

    it('refuses JSON edited after the signature', () => {
      const edited = stored.replace('"user":42', '"user":1');
      expect(edited).not.toBe(stored);
      expect(codec.decode(key, edited)).toBeUndefined();
    });

    it('refuses an edited signature', () => {
      const first = stored[0] === 'A' ? 'B' : 'A';
      expect(codec.decode(key, first + stored.slice(1))).toBeUndefined();
    });

    it('refuses data copied to another session key', () => {
      expect(codec.decode(generateSessionKey(), stored)).toBeUndefined();
    });

    it.each([
      ['missing its last character', stored.slice(0, -1)],
      ['cut inside the signature', stored.slice(0, colon - 1)],
      ['cut right after the separator', stored.slice(0, colon + 1)],
    ])('refuses a row %s', (_label, truncated) => {
      expect(codec.decode(key, truncated)).toBeUndefined();
    });

    it('refuses the empty string', () => {
      expect(codec.decode(key, '')).toBeUndefined();
    });

    it('refuses text without the separator', () => {
      expect(codec.decode(key, stored.replace(':', ''))).toBeUndefined();
      expect(codec.decode(key, json)).toBeUndefined();
    });
  });

  describe('secret fallbacks', () => {
    const oldRow = new SessionCodec(OLD_SECRET).encode(key, json);

    it('reads rows of an old secret listed in secretFallbacks', () => {
      const rotated = new SessionCodec(SECRET, ['f'.repeat(32), OLD_SECRET]);
      expect(rotated.decode(key, oldRow)).toEqual({ data, json });
    });

    it('does not read rows of an old secret that is not listed', () => {
      expect(codec.decode(key, oldRow)).toBeUndefined();
      expect(new SessionCodec(SECRET, ['f'.repeat(32)]).decode(key, oldRow)).toBeUndefined();
    });

    it('signs new rows with the current secret', () => {
      const rotated = new SessionCodec(SECRET, [OLD_SECRET]);
      expect(codec.decode(key, rotated.encode(key, json))).toEqual({ data, json });
    });
  });

  it.each([
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['a string', '"text"'],
    ['null', 'null'],
    ['text that is not JSON', '{not json'],
  ])('reads a signed row holding %s as undefined', (_label, body) => {
    const stored = codec.encode(key, body);
    expect(codec.verify(key, stored)).toBe(body);
    expect(codec.decode(key, stored)).toBeUndefined();
  });
});
