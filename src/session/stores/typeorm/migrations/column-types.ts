import type { TableColumnOptions } from 'typeorm';
import { isMysql, isPostgres } from '../database-type.js';

/**
 * A time column, to the millisecond: `timestamptz` on PostgreSQL, an instant whatever the
 * session's time zone; `datetime` elsewhere, which the store fills with UTC.
 */
export function timeColumn(type: string): Pick<TableColumnOptions, 'type' | 'precision'> {
  return { type: isPostgres(type) ? 'timestamptz' : 'datetime', precision: 3 };
}

/**
 * What makes a key column compare byte for byte: the default collations of MySQL/MariaDB
 * (`_ci`) would find `ABC…` when asked for `abc…`; PostgreSQL's "C" orders by bytes too, and
 * its index needs no locale.
 */
export function bytewiseKey(type: string): Pick<TableColumnOptions, 'charset' | 'collation'> {
  if (isMysql(type)) return { charset: 'ascii', collation: 'ascii_bin' };
  return isPostgres(type) ? { collation: 'C' } : {};
}
