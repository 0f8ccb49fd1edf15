/** What one statement gave back: rows for a query, a count for a change. */
export interface StatementResult {
  records?: unknown[];
  affected?: number;
}

/** Runs one parameterised statement on a data source. */
export type StatementRunner = (sql: string, parameters: unknown[]) => Promise<StatementResult>;

/**
 * Runs `work` in a transaction on one connection, with a runner bound to that connection: it
 * commits when `work` resolves `true`, rolls back when it resolves `false` or throws. Resolves
 * what `work` resolved.
 */
export type TransactionRunner = (work: (run: StatementRunner) => Promise<boolean>) => Promise<boolean>;
