/**
 * A session's dictionary as stored: its keys and their values, decoded.
 * @public
 */
export type SessionData = Record<string, unknown>;

/**
 * A value that survives `JSON.stringify` followed by `JSON.parse` unchanged.
 * @public
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Thrown by `set()` and friends for a value that JSON cannot store faithfully.
 * @public
 */
export class SessionValueError extends TypeError {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`Session value for key "${key}" cannot be stored as JSON: ${reason}`);
    this.name = 'SessionValueError';
  }
}

/**
 * Throws a {@link SessionValueError} naming `key` unless `value` round-trips through JSON:
 * only null, booleans, finite numbers, strings, arrays and plain objects, without cycles.
 */
export function assertJsonValue(key: string, value: unknown): void {
  const problem = findProblem(value, key, new Set());
  if (problem) throw new SessionValueError(key, problem);
}

function findProblem(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON turns into null`;
    case 'object':
      return value === null ? undefined : findObjectProblem(value, path, ancestors);
    default:
      return `${path} is ${describe(value)}`;
  }
}

function findObjectProblem(value: object, path: string, ancestors: Set<object>): string | undefined {
  if (ancestors.has(value)) return `${path} refers back to itself (a cycle)`;
  const isArray = Array.isArray(value);
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  if (!isArray && proto !== Object.prototype && proto !== null) {
    const name = proto.constructor?.name ?? 'an object with a custom prototype';
    return `${path} is a ${name}; store a plain object, array or string (e.g. date.toISOString())`;
  }
  ancestors.add(value);
  try {
    for (const [name, item] of Object.entries(value)) {
      const problem = findProblem(item, isArray ? `${path}[${name}]` : `${path}.${name}`, ancestors);
      if (problem) return problem;
    }
    if (isArray && Object.keys(value).length !== (value as unknown[]).length) {
      return `${path} is an array with holes or extra properties`;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined; use delete() to remove a key';
  if (typeof value === 'bigint') return 'a BigInt; store it as a string';
  return `a ${typeof value}`;
}
