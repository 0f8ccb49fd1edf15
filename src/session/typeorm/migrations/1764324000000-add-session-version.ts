import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { SESSION_TABLE } from '../session.entity.js';

/**
 * Adds `version`, raised by every save, so that a save can tell whether the row changed since
 * its request read it (and merge instead of overwriting).
 */
export class AddSessionVersion1764324000000 implements MigrationInterface {
  name = 'AddSessionVersion1764324000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(SESSION_TABLE, new TableColumn({ name: 'version', type: 'int', default: 0 }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn(SESSION_TABLE, 'version');
  }
}
