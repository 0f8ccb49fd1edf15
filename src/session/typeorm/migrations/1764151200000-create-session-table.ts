import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { migrationName } from './migration-name.js';

/** The migration that creates the sessions table `table` (see `sessionEntityFor`). */
export function createSessionTableMigration(table: string): new () => MigrationInterface {
  return class CreateSessionTable implements MigrationInterface {
    name = migrationName('CreateSessionTable', table, 1764151200000);

    async up(queryRunner: QueryRunner): Promise<void> {
      const type = queryRunner.connection.options.type;
      const mysql = type === 'mysql' || type === 'mariadb';
      await queryRunner.createTable(
        new Table({
          name: table,
          columns: [
            {
              name: 'session_key',
              type: 'varchar',
              length: '40',
              isPrimary: true,
              // The default `_ci` collations would find `ABC…` when asked for `abc…`.
              ...(mysql && { charset: 'ascii', collation: 'ascii_bin' }),
            },
            { name: 'session_data', type: mysql ? 'longtext' : 'text' },
            { name: 'expire_date', type: type === 'postgres' ? 'timestamp' : 'datetime', precision: 3 },
          ],
        }),
      );
      await queryRunner.createIndex(
        table,
        new TableIndex({ name: `${table}_expire_date_idx`, columnNames: ['expire_date'] }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropTable(table);
    }
  };
}
