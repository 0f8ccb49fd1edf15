/** What `clearsessions` was asked to do. */
export interface ClearSessionsArgs {
  dryRun: boolean;
  batchSize: number;
  help: boolean;
}

export const CLEARSESSIONS_USAGE = `Usage: npm run clearsessions -- [--dry-run] [--batch-size N]

Deletes expired sessions from the database that DATABASE_URL names, in batches.
  --dry-run        count what would be deleted, delete nothing
  --batch-size N   rows per DELETE statement (default 10000)`;

/**
 * Reads the command line; throws an Error with a usage hint for anything it does not know.
 * `npm run clearsessions --dry-run` (without `--`) gives the flag to npm, which says so in
 * `npm_config_dry_run`: that is a dry run too, never a deletion.
 */
export function parseClearSessionsArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): ClearSessionsArgs {
  const args: ClearSessionsArgs = { dryRun: env.npm_config_dry_run === 'true', batchSize: 10_000, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--dry-run') args.dryRun = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--batch-size' || arg.startsWith('--batch-size=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value || !/^\d+$/.test(value) || Number(value) < 1) {
        throw new Error(`--batch-size takes a whole number above 0, got ${value ?? 'nothing'}`);
      }
      args.batchSize = Number(value);
    } else throw new Error(`unknown argument "${arg}"\n${CLEARSESSIONS_USAGE}`);
  }
  return args;
}
