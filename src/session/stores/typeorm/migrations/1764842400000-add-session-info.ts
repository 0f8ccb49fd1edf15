import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timeColumn } from './column-types.js';
import { migrationName } from './migration-name.js';

/**
 * The migration that adds what a row tells of its session for the sessions of a user: the user
 * it is bound to (indexed), when it began and was last saved, and the client's IP and user agent.
 * All nullable: rows written before it have none.
 */
export function addSessionInfoMigration(table: string): new () => MigrationInterface {
  return class AddSessionInfo implements MigrationInterface {
    name = migrationName('AddSessionInfo', table, 1764842400000);

    async up(queryRunner: QueryRunner): Promise<void> {
      const time = timeColumn(queryRunner.connection.options.type);
      await queryRunner.addColumns(table, [
        new TableColumn({ name: 'user_id', type: 'varchar', length: '191', isNullable: true }),
        new TableColumn({ name: 'created_at', ...time, isNullable: true }),
        new TableColumn({ name: 'last_seen_at', ...time, isNullable: true }),
        new TableColumn({ name: 'client_ip', type: 'varchar', length: '45', isNullable: true }),
        new TableColumn({ name: 'user_agent', type: 'varchar', length: '255', isNullable: true }),
      ]);
      await queryRunner.createIndex(table, new TableIndex({ name: `${table}_user_id_idx`, columnNames: ['user_id'] }));
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropIndex(table, `${table}_user_id_idx`);
      for (const column of ['user_agent', 'client_ip', 'last_seen_at', 'created_at', 'user_id']) {
        await queryRunner.dropColumn(table, column);
      }
    }
  };
}
