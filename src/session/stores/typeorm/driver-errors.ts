/** A deadlock, or a lock wait that timed out: the group ends rolled back, and its rows may go again alone. */
export function isLockConflict(error: unknown): boolean {
  const code = errorCode(error);
  // PostgreSQL's deadlock_detected and lock_not_available (a `lock_timeout` ran out).
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === '40P01' || code === '55P03';
}

export function isDuplicateKey(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** The code of the driver's own error, or of the one TypeORM wraps. */
function errorCode(error: unknown): string | undefined {
  const cause = (error as { driverError?: { code?: string } })?.driverError ?? (error as { code?: string });
  return cause?.code;
}
