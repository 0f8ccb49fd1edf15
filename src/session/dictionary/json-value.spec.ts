import { assertJsonValue, SessionValueError } from './json-value.js';

function refusal(key: string, value: unknown): SessionValueError {
  try {
    assertJsonValue(key, value);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionValueError);
    return error as SessionValueError;
  }
  throw new Error(`assertJsonValue accepted ${String(value)} for "${key}"`);
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('assertJsonValue', () => {
  it.each([
    ['null', null],
    ['true', true],
    ['false', false],
    ['zero', 0],
    ['a negative fraction', -1.5],
    ['the largest number', Number.MAX_VALUE],
    ['a string', 'hello'],
    ['the empty string', ''],
    ['an empty array', []],
    ['an empty object', {}],
    ['nested arrays and objects', { cart: { items: [1, 'two', { three: [null, true] }] }, tags: [[], [[]]] }],
  ])('accepts %s', (_label, value) => {
    expect(() => assertJsonValue('k', value)).not.toThrow();
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = 1;
    expect(() => assertJsonValue('k', { bare })).not.toThrow();
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(() => assertJsonValue('k', [shared, shared, { shared }])).not.toThrow();
  });

  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const sparse = [1, , 3];

  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['undefined', undefined],
    ['undefined inside an object', { a: undefined }],
    ['undefined inside an array', [1, undefined]],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a Date', new Date(0)],
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a class instance', new Point(1, 2)],
    ['a cyclic object', cyclic],
    ['a sparse array', sparse],
  ])('refuses %s, naming the key', (_label, value) => {
    const error = refusal('my_key', value);
    expect(error.key).toBe('my_key');
    expect(error.message).toContain('"my_key"');
  });

  it('names the path of a nested problem', () => {
    const error = refusal('cart', { items: [{ sku: 'a' }, () => 1] });
    expect(error.key).toBe('cart');
    expect(error.message).toContain('cart.items[1]');
  });

  it('names the path of a nested cycle', () => {
    const node: Record<string, unknown> = {};
    node.child = { parent: node };
    expect(refusal('tree', { root: node }).message).toContain('tree.root.child.parent');
  });

  it('explains what is wrong', () => {
    expect(refusal('n', 1n).message).toMatch(/BigInt/);
    expect(refusal('when', new Date(0)).message).toMatch(/Date/);
    expect(refusal('x', NaN).message).toMatch(/NaN/);
  });
});
