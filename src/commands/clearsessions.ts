import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { validateEnvironment } from '../config/environment.js';
import { checkDatabase } from '../database/database-check.js';
import { describeDatabase } from '../database/database-url.js';
import { describeStartupFailure } from '../database/startup-error.js';
import { SessionsService } from '../session/index.js';
import { CLEARSESSIONS_USAGE, parseClearSessionsArgs } from './clearsessions-args.js';

/**
 * `npm run clearsessions`: Django's `manage.py clearsessions`. Deletes expired sessions in
 * batches, with the server's own configuration and database; progress on a terminal, one summary
 * line otherwise.
 */
async function main(argv: string[]): Promise<number> {
  const args = parseClearSessionsArgs(argv);
  if (args.help) {
    console.log(CLEARSESSIONS_USAGE);
    return 0;
  }
  const { DATABASE_URL } = validateEnvironment(process.env);
  await checkDatabase(DATABASE_URL);
  const database = describeDatabase(DATABASE_URL);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  try {
    const sessions = app.get(SessionsService);
    if (args.dryRun) {
      const { live, expired } = await sessions.count();
      console.log(
        `clearsessions: would delete ${countOf(expired, 'expired')} from ${database}; ` +
          `${countOf(live, 'live')} would stay (dry run).`,
      );
      return 0;
    }
    const progress = process.stderr.isTTY ? terminalProgress() : undefined;
    const { deleted, batches, elapsedMs } = await sessions.clearExpired({
      batchSize: args.batchSize,
      onProgress: progress,
    });
    if (progress) process.stderr.write('\n');
    console.log(
      `clearsessions: deleted ${countOf(deleted, 'expired')} from ${database} in ${(elapsedMs / 1000).toFixed(2)} s ` +
        `(${batches} batch${batches === 1 ? '' : 'es'} of up to ${format(args.batchSize)}).`,
    );
    return 0;
  } finally {
    await app.close();
  }
}

/** Rewrites one line on the terminal, at most ten times a second. */
function terminalProgress(): (progress: { deleted: number; elapsedMs: number }) => void {
  let shownAt = -Infinity;
  return ({ deleted, elapsedMs }) => {
    if (elapsedMs - shownAt < 100) return;
    shownAt = elapsedMs;
    process.stderr.write(
      `\r\x1b[Kdeleted ${countOf(deleted, 'expired')} · ${format(rate(deleted, elapsedMs))} a second`,
    );
  };
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');
/** "1 expired session", "7 expired sessions". */
const countOf = (n: number, kind: string) => `${format(n)} ${kind} session${n === 1 ? '' : 's'}`;
const rate = (rows: number, ms: number) => (ms > 0 ? (rows * 1000) / ms : 0);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    for (const line of describeStartupFailure(error)) console.error(`clearsessions: ${line}`);
    process.exit(1);
  },
);
