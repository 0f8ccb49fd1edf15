import { SESSION_TABLE } from '../session.entity.js';

/**
 * A migration's name as TypeORM records it: the step, the table when it is not the default one,
 * and the timestamp last (TypeORM orders migrations by the name's last 13 digits).
 */
export function migrationName(step: string, table: string, timestamp: number): string {
  return `${step}${table === SESSION_TABLE ? '' : `_${table}_`}${timestamp}`;
}
