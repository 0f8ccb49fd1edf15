/**
 * The ids a comma-separated environment variable names (`fallback` when it is unset or empty);
 * exits with the ones it knows when it names another.
 */
export function pick<T extends string>(variable: string, fallback: string, known: readonly T[]): T[] {
  const ids = (process.env[variable] || fallback)
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean) as T[];
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    console.error(
      `bench: ${variable} names ${unknown.join(', ')}, which it does not know; it knows ${known.join(', ')}`,
    );
    process.exit(1);
  }
  return ids;
}
