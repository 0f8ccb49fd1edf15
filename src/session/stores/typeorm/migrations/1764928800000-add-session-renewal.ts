import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bytewiseKey, timeColumn } from './column-types.js';
import { migrationName } from './migration-name.js';

/**
 * The migration that adds what a key renewal (`renewAfter`) needs: when the key was issued, and
 * the alias of the key it replaced (see `SessionCodec.aliasOf`) with how long that one still
 * works (the grace), indexed for its lookups.
 */
export function addSessionRenewalMigration(table: string): new () => MigrationInterface {
  return class AddSessionRenewal implements MigrationInterface {
    name = migrationName('AddSessionRenewal', table, 1764928800000);

    async up(queryRunner: QueryRunner): Promise<void> {
      const type = queryRunner.connection.options.type;
      const time = timeColumn(type);
      await queryRunner.addColumns(table, [
        new TableColumn({ name: 'key_issued_at', ...time, isNullable: true }),
        new TableColumn({
          name: 'previous_key',
          type: 'varchar',
          length: '40',
          isNullable: true,
          // Compared byte for byte, as session_key is.
          ...bytewiseKey(type),
        }),
        new TableColumn({ name: 'previous_until', ...time, isNullable: true }),
      ]);
      await queryRunner.createIndex(
        table,
        new TableIndex({ name: `${table}_previous_key_idx`, columnNames: ['previous_key'] }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropIndex(table, `${table}_previous_key_idx`);
      for (const column of ['previous_until', 'previous_key', 'key_issued_at'])
        await queryRunner.dropColumn(table, column);
    }
  };
}
