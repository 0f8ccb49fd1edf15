import { generateSessionKey, isWellFormedSessionKey, SESSION_KEY_LENGTH } from './session-key.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

describe('generateSessionKey', () => {
  const keys = Array.from({ length: 2000 }, () => generateSessionKey());

  it('makes keys of 32 characters from [a-z0-9]', () => {
    expect(SESSION_KEY_LENGTH).toBe(32);
    for (const key of keys) expect(key).toMatch(/^[a-z0-9]{32}$/);
  });

  it('never repeats a key over 2,000 draws', () => {
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('draws every character about equally often (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const char of keys.join('')) counts.set(char, (counts.get(char) ?? 0) + 1);
    const expected = (keys.length * SESSION_KEY_LENGTH) / ALPHABET.length;
    // A plain byte % 36 would favour a–d by an eighth; chance alone stays within 3.5 standard deviations.
    for (const char of ALPHABET) expect(Math.abs(counts.get(char)! - expected)).toBeLessThan(expected * 0.08);
  });

  it('uses every one of the 36 characters', () => {
    const seen = new Set(keys.join(''));
    expect([...seen].sort().join('')).toBe([...ALPHABET].sort().join(''));
  });
});

describe('isWellFormedSessionKey', () => {
  it('accepts a generated key', () => {
    expect(isWellFormedSessionKey(generateSessionKey())).toBe(true);
  });

  it('accepts any 32 characters of [a-z0-9]', () => {
    expect(isWellFormedSessionKey('a'.repeat(16) + '0'.repeat(16))).toBe(true);
  });

  it.each([
    ['the empty string', ''],
    ['a short key', 'abc123'],
    ['31 characters', 'a'.repeat(31)],
    ['33 characters', 'a'.repeat(33)],
    [
      'an upper-case key',
      generateSessionKey()
        .toUpperCase()
        .replace(/^[0-9]/, 'A'),
    ],
    ['a key with one upper-case letter', 'A' + 'a'.repeat(31)],
    ['unicode letters', 'é'.repeat(32)],
    ['a key with a space', 'a'.repeat(15) + ' ' + 'a'.repeat(16)],
    ['a key with a double quote', '"' + 'a'.repeat(31)],
    ['a key with a semicolon', 'a'.repeat(31) + ';'],
    ['a key with a trailing newline', 'a'.repeat(32) + '\n'],
  ])('rejects %s', (_label, value) => {
    expect(isWellFormedSessionKey(value)).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 12345],
    ['an object', { key: 'a'.repeat(32) }],
    ['an array', ['a'.repeat(32)]],
  ])('rejects %s', (_label, value) => {
    expect(isWellFormedSessionKey(value)).toBe(false);
  });
});
