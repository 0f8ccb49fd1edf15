import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isMysql } from '../database-type.js';
import { bytewiseKey, timeColumn } from './column-types.js';
import { migrationName } from './migration-name.js';

/** The migration that creates the sessions table `table` (see `sessionEntityFor`). */
export function createSessionTableMigration(table: string): new () => MigrationInterface {
  return class CreateSessionTable implements MigrationInterface {
    name = migrationName('CreateSessionTable', table, 1764151200000);

    async up(queryRunner: QueryRunner): Promise<void> {
      const type = queryRunner.connection.options.type;
      await queryRunner.createTable(
        new Table({
          name: table,
          columns: [
            { name: 'session_key', type: 'varchar', length: '40', isPrimary: true, ...bytewiseKey(type) },
            { name: 'session_data', type: isMysql(type) ? 'longtext' : 'text' },
            { name: 'expire_date', ...timeColumn(type) },
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
