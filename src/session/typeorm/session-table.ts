import type { DataSource } from 'typeorm';
import { SessionConfigError } from '../resolve-session-options.js';
import { SessionEntity } from './session.entity.js';

/** Throws a {@link SessionConfigError} naming the migrations when the session table is missing. */
export async function checkSessionTable(dataSource: DataSource): Promise<void> {
  const table = dataSource.getMetadata(SessionEntity).tableName;
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
