import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { migrationName } from './migration-name.js';

/**
 * The migration that adds `version`, raised by every save, so that a save can tell whether the
 * row changed since its request read it (and merge instead of overwriting).
 */
export function addSessionVersionMigration(table: string): new () => MigrationInterface {
  return class AddSessionVersion implements MigrationInterface {
    name = migrationName('AddSessionVersion', table, 1764324000000);

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.addColumn(table, new TableColumn({ name: 'version', type: 'int', default: 0 }));
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropColumn(table, 'version');
    }
  };
}
