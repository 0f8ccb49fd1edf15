import { redactUrl } from './database-url.js';

const DATABASE_FAILURE =
  /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|Access denied|Unknown database|password authentication failed|SQLITE_/i;

/**
 * The lines to print when the server or a command cannot start: the error's message, where the
 * database is when the error is about reaching it, and which variable holds the session secret
 * when that is what is missing.
 */
export function describeStartupFailure(error: Error, databaseUrl = process.env.DATABASE_URL): string[] {
  const lines = [error.message];
  if (error.name === 'SessionConfigError' && /\bsecret\b/.test(error.message)) {
    lines.push('The demo server takes the secret from SESSION_SECRET, e.g. SESSION_SECRET=$(openssl rand -hex 32).');
  }
  const aboutOtherService = error.name === 'DatabaseUrlError' || error.name === 'RedisUrlError';
  if (!aboutOtherService && DATABASE_FAILURE.test(error.message)) {
    const where = databaseUrl
      ? `DATABASE_URL=${redactUrl(databaseUrl)}`
      : 'the default SQLite file (DATABASE_URL unset)';
    lines.push(`Check the database: ${where}.`);
  }
  return lines;
}
