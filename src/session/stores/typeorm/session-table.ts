import type { DataSource, EntityMetadata } from 'typeorm';
import { SessionConfigError } from '../../session.errors.js';
import { isSessionEntity, type SessionEntityClass } from './session.entity.js';

/**
 * The metadata of the sessions entity the data source holds: `entity` when given, else the one
 * entity of `SessionEntity` or `sessionTable()` among its entities. Throws a
 * {@link SessionConfigError} saying what to add when there is none, or which to pick of several.
 */
export function sessionMetadata(dataSource: DataSource, entity?: SessionEntityClass): EntityMetadata {
  if (entity) {
    if (dataSource.hasMetadata(entity)) return dataSource.getMetadata(entity);
    throw new SessionConfigError(
      "TypeOrmSessionStore: the `entity` it was given is not among the data source's entities; add it there.",
    );
  }
  const found = dataSource.entityMetadatas.filter((meta) => isSessionEntity(meta.target));
  if (found.length === 1) return found[0];
  throw new SessionConfigError(
    found.length === 0
      ? 'SessionModule: the data source has no sessions entity. Add `SessionEntity` (or `sessionTable(name).entity`) to its `entities`.'
      : `SessionModule: the data source has ${found.length} sessions entities (tables ${found.map((meta) => meta.tableName).join(', ')}); ` +
          'give the store the one to use: `new TypeOrmSessionStore(dataSource, { entity })` as the `store` option.',
  );
}

/** Throws a {@link SessionConfigError} naming the migrations when the session table is missing. */
export async function checkSessionTable(dataSource: DataSource, meta: EntityMetadata): Promise<void> {
  const table = meta.tableName;
  const runner = dataSource.createQueryRunner();
  try {
    if (await runner.hasTable(table)) return;
  } finally {
    await runner.release();
  }
  throw new SessionConfigError(
    `SessionModule: the table "${table}" does not exist. Run the library's migrations ` +
      "(`sessionMigrations` in the data source, then the TypeORM CLI's migration:run) or set " +
      '`migrationsRun: true` in the TypeORM options.',
  );
}
