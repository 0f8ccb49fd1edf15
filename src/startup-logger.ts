import { ConsoleLogger } from '@nestjs/common';

/**
 * Contexts whose errors at start are the same failure that the server or command then reports
 * itself, in one line: Nest's own report of a module that failed to load (with its stack), and
 * TypeORM's connection retries.
 */
const REPORTED_BY_CALLER = new Set(['ExceptionHandler', 'TypeOrmModule']);

/** Nest's console logger, without the stack traces that would come before the one-line reason. */
export class StartupLogger extends ConsoleLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (REPORTED_BY_CALLER.has(rest.at(-1) as string)) return;
    super.error(message, ...rest);
  }
}
