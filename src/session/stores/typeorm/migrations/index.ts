import type { MigrationInterface } from 'typeorm';
import { SESSION_TABLE, sessionEntityFor, type SessionEntityClass } from '../session.entity.js';
import { createSessionTableMigration } from './1764151200000-create-session-table.js';
import { addSessionVersionMigration } from './1764324000000-add-session-version.js';
import { addSessionInfoMigration } from './1764842400000-add-session-info.js';
import { addSessionRenewalMigration } from './1764928800000-add-session-renewal.js';

/**
 * A TypeORM migration class.
 * @public
 */
export type MigrationClass = new () => MigrationInterface;

/**
 * The entity and the migrations of one sessions table.
 * @public
 */
export interface SessionTable {
  /** Add to the data source's `entities`. */
  entity: SessionEntityClass;
  /** Add to the data source's `migrations`, oldest first. */
  migrations: MigrationClass[];
}

const tables = new Map<string, SessionTable>();

/**
 * The entity and migrations of sessions kept in the table `name`, for an app that already has a
 * `session` table of its own (from connect-typeorm, say). The same name always gives the same
 * classes. The migrations are recorded under names of their own (`CreateSessionTable_<name>_…`),
 * so they run beside those of the default table.
 * @public
 */
export function sessionTable(name: string): SessionTable {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
    throw new TypeError(`sessionTable: "${name}" is not a plain table name (letters, digits and _, at most 64).`);
  }
  let table = tables.get(name);
  if (!table) {
    table = {
      entity: sessionEntityFor(name),
      migrations: [
        createSessionTableMigration(name),
        addSessionVersionMigration(name),
        addSessionInfoMigration(name),
        addSessionRenewalMigration(name),
      ],
    };
    tables.set(name, table);
  }
  return table;
}

const defaults = sessionTable(SESSION_TABLE);

/**
 * The migrations of the default `session` table, oldest first: add them to your data source's `migrations`.
 * @public
 */
export const sessionMigrations = defaults.migrations;

/**
 * Creates the `session` table of `SessionEntity`.
 * @public
 */
export const CreateSessionTable1764151200000 = defaults.migrations[0];
/**
 * Adds the `version` column.
 * @public
 */
export const AddSessionVersion1764324000000 = defaults.migrations[1];
/**
 * Adds the user and client columns of the sessions of a user.
 * @public
 */
export const AddSessionInfo1764842400000 = defaults.migrations[2];
/**
 * Adds the columns of key renewal.
 * @public
 */
export const AddSessionRenewal1764928800000 = defaults.migrations[3];
