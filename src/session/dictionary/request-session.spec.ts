import { SessionValueError } from './json-value.js';
import { RequestSession } from './request-session.js';
import type { ExpiryPolicy } from './session-expiry.js';
import { EXPIRY_KEY } from './session-expiry.js';
import { mustSave } from '../engine/session-policy.js';

const COOKIE_AGE = 1_209_600;
const POLICY: ExpiryPolicy = { cookieAge: COOKIE_AGE, expireAtBrowserClose: false };
const KEY = 'a'.repeat(32);
const NOW = new Date('2030-01-01T00:00:00.000Z');

/** What a save at the end of a request would write for `s`, by the response policy; else `undefined`. */
function pendingJson(s: RequestSession, saveEveryRequest: boolean): string | undefined {
  const facts = {
    empty: s.isEmpty(),
    changed: s.isChanged(),
    key: s.sessionKey,
    rowKey: s.sessionKey,
    touchDue: true,
    cookieBehind: false,
    renewDue: false,
  };
  return mustSave({ cookieSent: false, cookieWellFormed: false, saveEveryRequest }, facts, 200) ? s.json() : undefined;
}

const fresh = (policy = POLICY) => new RequestSession({ key: null, data: {}, json: '{}' }, policy);
/** A stored session as the engine opens one: its JSON only, parsed when first read. */
function loaded(data: Record<string, unknown>, policy = POLICY) {
  return new RequestSession({ key: KEY, json: JSON.stringify(data) }, policy);
}

/** Calls `run` and says how many times it parsed JSON. */
function parsesIn(run: () => void): number {
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = (...args: Parameters<typeof parse>) => {
    parses++;
    return parse(...args) as unknown;
  };
  try {
    run();
    return parses;
  } finally {
    JSON.parse = parse;
  }
}

describe('RequestSession', () => {
  describe('dictionary API', () => {
    it('get() returns the value, else the fallback, and stored falsy values', () => {
      const s = loaded({ a: 1, zero: 0, blank: '' });
      expect(s.get('a')).toBe(1);
      expect(s.get('missing')).toBeUndefined();
      expect(s.get('missing', 'fb')).toBe('fb');
      expect(s.get('zero', 9)).toBe(0);
      expect(s.get('blank', 'fb')).toBe('');
      expect(s.has('zero')).toBe(true);
      expect(s.has('missing')).toBe(false);
      expect(s.modified).toBe(false);
    });

    it('set() stores, chains and marks modified', () => {
      const s = fresh();
      expect(s.set('a', 1).set('b', [2])).toBe(s);
      expect(s.get('b')).toEqual([2]);
      expect(s.modified).toBe(true);
    });

    it('delete() reports presence and marks modified only when the key existed', () => {
      const s = loaded({ a: 1 });
      expect(s.delete('missing')).toBe(false);
      expect(s.modified).toBe(false);
      expect(s.delete('a')).toBe(true);
      expect([s.has('a'), s.modified]).toEqual([false, true]);
    });

    it('pop() returns the value or the fallback, marking modified only when present', () => {
      const s = loaded({ a: 1 });
      expect(s.pop('missing', 'fb')).toBe('fb');
      expect(s.pop('missing')).toBeUndefined();
      expect(s.modified).toBe(false);
      expect(s.pop('a', 'fb')).toBe(1);
      expect([s.has('a'), s.modified]).toEqual([false, true]);
    });

    it('setDefault() stores only when absent', () => {
      const s = loaded({ a: 1 });
      expect(s.setDefault('a', 2)).toBe(1);
      expect(s.modified).toBe(false);
      expect(s.setDefault('b', 2)).toBe(2);
      expect([s.get('b'), s.modified]).toEqual([2, true]);
    });

    it('update() stores every entry, or none when one value is bad', () => {
      const s = loaded({ a: 1 });
      expect(() => s.update({ b: 2, c: () => 3 })).toThrow(SessionValueError);
      expect([s.has('b'), s.has('c'), s.modified]).toEqual([false, false, false]);
      expect(s.update({ a: 10, b: 2 })).toBe(s);
      expect(s.toJSON()).toEqual({ a: 10, b: 2 });
      expect(s.modified).toBe(true);
    });

    it('keys(), values() and entries() list the dictionary', () => {
      const s = loaded({ a: 1, b: 'x' });
      expect(s.keys()).toEqual(['a', 'b']);
      expect(s.values()).toEqual([1, 'x']);
      expect(s.entries()).toEqual([
        ['a', 1],
        ['b', 'x'],
      ]);
    });

    it('toJSON() returns a copy', () => {
      const s = loaded({ a: 1 });
      const copy = s.toJSON();
      copy.a = 2;
      copy.b = 3;
      expect(s.toJSON()).toEqual({ a: 1 });
      expect(s.modified).toBe(false);
    });

    it('clear() removes every key but keeps the session key', () => {
      const s = loaded({ a: 1 });
      s.clear();
      expect(s.keys()).toEqual([]);
      expect([s.sessionKey, s.modified, s.isEmpty()]).toEqual([KEY, true, false]);
    });

    it('isEmpty() is true only with neither key nor data', () => {
      expect(fresh().isEmpty()).toBe(true);
      expect(fresh().set('a', 1).isEmpty()).toBe(false);
      expect(loaded({}).isEmpty()).toBe(false);
    });
  });

  describe('set() refuses values JSON cannot store', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    it.each([
      ['a function', () => 1],
      ['a BigInt', 10n],
      ['undefined', undefined],
      ['a Date', new Date()],
      ['a cycle', cyclic],
    ])('%s', (_label, value) => {
      const s = loaded({ a: 1 });
      expect(() => s.set('bad', value)).toThrow(SessionValueError);
      expect(() => s.set('bad', value)).toThrow(/"bad"/);
      expect(s.toJSON()).toEqual({ a: 1 });
      expect(s.modified).toBe(false);
    });
  });

  it('a value changed in place to one JSON cannot store is refused at the save, naming its key', () => {
    const s = loaded({ a: 1, cart: { items: [] } });
    s.assertStorable();
    (s.get('cart') as { items: unknown[] }).items.push(new Map());
    expect(() => s.assertStorable()).toThrow(SessionValueError);
    expect(() => s.assertStorable()).toThrow(/key "cart".*cart\.items\[0\] is a Map/);
  });

  it('the test cookie trio', () => {
    const s = fresh();
    expect(s.testCookieWorked()).toBe(false);
    s.setTestCookie();
    expect([s.get('testcookie'), s.modified, s.testCookieWorked()]).toEqual(['worked', true, true]);
    s.deleteTestCookie();
    expect([s.has('testcookie'), s.testCookieWorked()]).toEqual([false, false]);
  });

  it('flush() clears the data and the key', () => {
    const s = loaded({ a: 1 });
    s.flush();
    expect([s.keys(), s.sessionKey, s.modified]).toEqual([[], null, true]);
  });

  it('cycleKey() keeps the data under a new key', () => {
    const s = loaded({ a: 1 });
    s.cycleKey();
    expect(s.sessionKey).toMatch(/^[a-z0-9]{32}$/);
    expect(s.sessionKey).not.toBe(KEY);
    expect([s.toJSON(), s.modified]).toEqual([{ a: 1 }, true]);
  });

  describe('expiry', () => {
    it('defaults to the policy', () => {
      const s = fresh();
      expect(s.getExpiryAge(NOW)).toBe(COOKIE_AGE);
      expect(s.getExpiryDate(NOW)).toEqual(new Date(NOW.getTime() + COOKIE_AGE * 1000));
      expect(s.getExpireAtBrowserClose()).toBe(false);
      expect(fresh({ ...POLICY, expireAtBrowserClose: true }).getExpireAtBrowserClose()).toBe(true);
    });

    it('setExpiry(seconds) is stored in the dictionary', () => {
      const s = fresh();
      s.setExpiry(300);
      expect([s.getExpiryAge(NOW), s.getExpireAtBrowserClose()]).toEqual([300, false]);
      expect(s.getExpiryDate(NOW)).toEqual(new Date(NOW.getTime() + 300_000));
      expect([s.get(EXPIRY_KEY), s.keys(), s.modified]).toEqual([300, [EXPIRY_KEY], true]);
    });

    it('setExpiry(date) expires at that date', () => {
      const s = fresh();
      const at = new Date(NOW.getTime() + 3_600_500);
      s.setExpiry(at);
      expect(s.getExpiryDate(NOW)).toEqual(at);
      expect(s.getExpiryAge(NOW)).toBe(3600);
      expect(s.getExpireAtBrowserClose()).toBe(false);
    });

    it('setExpiry(0) means browser close, with the policy age', () => {
      const s = fresh();
      s.setExpiry(0);
      expect([s.getExpireAtBrowserClose(), s.getExpiryAge(NOW)]).toEqual([true, COOKIE_AGE]);
    });

    it('setExpiry(null) falls back on the policy', () => {
      const s = fresh({ ...POLICY, expireAtBrowserClose: true });
      s.setExpiry(300);
      expect(s.getExpireAtBrowserClose()).toBe(false);
      s.setExpiry(null);
      expect([s.has(EXPIRY_KEY), s.getExpiryAge(NOW), s.getExpireAtBrowserClose()]).toEqual([false, COOKIE_AGE, true]);
    });

    it.each([
      ['NaN', NaN],
      ['an invalid Date', new Date('nope')],
    ])('setExpiry(%s) throws RangeError', (_label, value) => {
      const s = fresh();
      expect(() => s.setExpiry(value)).toThrow(RangeError);
      expect([s.has(EXPIRY_KEY), s.modified]).toEqual([false, false]);
    });
  });

  describe('what a save writes', () => {
    it('is undefined for an untouched loaded session, unless saveEveryRequest', () => {
      expect(pendingJson(loaded({ a: 1 }), false)).toBeUndefined();
      expect(pendingJson(loaded({ a: 1 }), true)).toBe('{"a":1}');
    });

    it('is the JSON after set()', () => {
      expect(pendingJson(loaded({ a: 1 }).set('b', 2), false)).toBe('{"a":1,"b":2}');
    });

    it('is undefined for an empty new session, even when modified', () => {
      const s = fresh();
      s.modified = true;
      expect(pendingJson(s, false)).toBeUndefined();
      expect(pendingJson(s, true)).toBeUndefined();
    });

    it('notices a value changed in place, and only then', () => {
      const s = loaded({ tags: ['a'] });
      const tags = s.get('tags') as string[];
      expect(pendingJson(s, false)).toBeUndefined();
      tags.push('b');
      expect([s.modified, pendingJson(s, false)]).toEqual([false, '{"tags":["a","b"]}']);
    });

    it('is undefined again after markSaved()', () => {
      const s = fresh().set('a', 1);
      const json = pendingJson(s, false)!;
      s.markSaved(KEY, json, false);
      expect([s.modified, s.sessionKey, pendingJson(s, false)]).toEqual([false, KEY, undefined]);
    });

    it('after a merged save, reads the merge it was given and writes only a copy of its own', () => {
      const s = loaded({ a: 1 }).set('b', 2);
      const merge = { a: 1, b: 2, c: 3, [EXPIRY_KEY]: 60 };
      const json = JSON.stringify(merge);
      s.markSaved(KEY, json, true, merge);
      // The cookie's expiry and the row's info read the merge: no parse of the stored JSON.
      expect(s.getExpiryAge(NOW)).toBe(60);
      expect(s.peek()).toBe(merge);
      s.set('d', 4);
      expect(s.peek()).not.toBe(merge);
      expect(s.toJSON()).toEqual({ ...merge, d: 4 });
      // Other saves of the turn share the merge: it must stay as it was written.
      expect(JSON.stringify(merge)).toBe(json);
    });
  });

  describe('a stored session, before its data is read', () => {
    const stored = { a: 1, note: 'says "_session_expiry":5 in a value', nested: { _session_expiry: 7 } };

    it('takes writes and answers its expiry and its changes without parsing its JSON', () => {
      const s = loaded({ a: 1, tags: ['x'] });
      const parses = parsesIn(() => {
        s.set('b', 2).set('a', 3);
        expect([s.isChanged(), s.getExpiryAge(NOW), s.getExpireAtBrowserClose(), s.boundUser]).toEqual([
          true,
          COOKIE_AGE,
          false,
          null,
        ]);
        expect(s.changes()).toEqual(
          new Map<string, unknown>([
            ['b', 2],
            ['a', 3],
          ]),
        );
      });
      expect(parses).toBe(0);
      expect(pendingJson(s, false)).toBe('{"a":3,"tags":["x"],"b":2}');
    });

    it('reads a key its JSON holds, and only a top-level one', () => {
      expect(loaded({ ...stored, [EXPIRY_KEY]: 300 }).getExpiryAge(NOW)).toBe(300);
      // The key's text inside a value or a nested object is not the key.
      expect(loaded(stored).getExpiryAge(NOW)).toBe(COOKIE_AGE);
      expect(loaded({ _auth_user_id: '42' }).boundUser).toBe('42');
    });

    it('reads its writes over the stored values once parsed', () => {
      const s = loaded(stored);
      s.set('a', 2).set(EXPIRY_KEY, 60);
      expect(s.getExpiryAge(NOW)).toBe(60);
      expect([s.get('a'), s.get('note'), s.has('nested')]).toEqual([2, stored.note, true]);
      expect(s.toJSON()).toEqual({ ...stored, a: 2, [EXPIRY_KEY]: 60 });
      expect(s.changes()).toEqual(
        new Map<string, unknown>([
          ['a', 2],
          [EXPIRY_KEY, 60],
        ]),
      );
    });

    it('does not parse for an untouched request, and answers an unchanged one as such', () => {
      const s = loaded(stored);
      expect(parsesIn(() => expect([s.isChanged(), s.isEmpty(), s.changes().size]).toEqual([false, false, 0]))).toBe(0);
    });
  });

  it('stores a key named __proto__ as plain data, without touching the prototype', () => {
    const s = fresh().set('__proto__', { _session_expiry: 5, testcookie: 'worked' });
    expect(s.has('__proto__')).toBe(true);
    expect(s.keys()).toEqual(['__proto__']);
    expect(s.getExpiryAge()).toBe(1_209_600);
    expect(s.testCookieWorked()).toBe(false);
    expect(pendingJson(s, false)).toBe('{"__proto__":{"_session_expiry":5,"testcookie":"worked"}}');
    s.update({ __proto__: 'again' });
    expect(Object.getPrototypeOf(s.toJSON())).toBe(Object.prototype);
  });

  it('takes a type for its data', () => {
    const s = new RequestSession<{ count: number; tags: string[] }>({ key: null, data: {}, json: '{}' }, POLICY);
    const next: number = s.get('count', 0) + 1;
    s.set('count', next).set('tags', ['x']);
    expect(s.toJSON()).toEqual({ count: 1, tags: ['x'] });
    // @ts-expect-error count is a number
    s.set('count', 'x');
    // The type check is the point above; at runtime a string is valid JSON and is stored.
    expect(s.get('count')).toBe('x');
  });
});
