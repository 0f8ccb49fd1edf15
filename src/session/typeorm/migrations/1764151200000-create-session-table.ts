import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { SESSION_TABLE } from '../session.entity.js';

/** Creates the `session` table of {@link SessionEntity}. */
export class CreateSessionTable1764151200000 implements MigrationInterface {
  name = 'CreateSessionTable1764151200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    await queryRunner.createTable(
      new Table({
        name: SESSION_TABLE,
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
      SESSION_TABLE,
      new TableIndex({ name: 'session_expire_date_idx', columnNames: ['expire_date'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable(SESSION_TABLE);
  }
}
