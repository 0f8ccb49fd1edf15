import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { SessionConfigError, SessionModule } from '../src/session/index.js';
import { expectPostgresColumns, testDatabases, testDataSourceOptions } from './support/databases.js';
import { TEST_SECRET } from './support/test-app.js';

describe.each(testDatabases())('the session table migration on %s', (db) => {
  let dataSource: DataSource;
  beforeEach(async () => {
    dataSource = await new DataSource({ ...(await testDataSourceOptions(db)), migrationsRun: false }).initialize();
  });
  afterEach(() => dataSource.destroy());

  it('creates the table with its primary key, expiry index, version and info columns, and reverts cleanly', async () => {
    expect(await dataSource.runMigrations()).toHaveLength(4);
    const runner = dataSource.createQueryRunner();
    try {
      await checkTableAndRevert(runner);
    } finally {
      await runner.release();
    }
  });

  async function checkTableAndRevert(runner: QueryRunner): Promise<void> {
    const table = await runner.getTable('session');
    expect(table?.columns.map((column) => column.name).sort()).toEqual([
      'client_ip',
      'created_at',
      'expire_date',
      'key_issued_at',
      'last_seen_at',
      'previous_key',
      'previous_until',
      'session_data',
      'session_key',
      'user_agent',
      'user_id',
      'version',
    ]);
    expect(table?.primaryColumns.map((column) => column.name)).toEqual(['session_key']);
    expect(table?.indices.map((index) => index.columnNames)).toContainEqual(['expire_date']);
    expect(table?.indices.map((index) => index.columnNames)).toContainEqual(['user_id']);
    if (db === 'mariadb') {
      const [column] = await dataSource.query(
        `SELECT COLLATION_NAME AS c FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'session' AND COLUMN_NAME = 'session_key'`,
      );
      expect(column.c).toBe('ascii_bin');
    }
    if (db === 'postgres') await expectPostgresColumns(dataSource, 'session');
    await dataSource.undoLastMigration();
    expect((await runner.getTable('session'))?.findColumnByName('previous_key')).toBeUndefined();
    await dataSource.undoLastMigration();
    expect((await runner.getTable('session'))?.findColumnByName('user_id')).toBeUndefined();
    await dataSource.undoLastMigration();
    expect((await runner.getTable('session'))?.findColumnByName('version')).toBeUndefined();
    await dataSource.undoLastMigration();
    expect(await runner.hasTable('session')).toBe(false);
  }
});

describe.each(testDatabases())('an app whose session migrations did not run, on %s', (db) => {
  it('refuses to start, naming the migrations, instead of answering every session request 503', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...(await testDataSourceOptions(db)), migrationsRun: false }),
        SessionModule.forRoot({ secret: TEST_SECRET }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      const starting = app.init();
      await expect(starting).rejects.toThrow(SessionConfigError);
      await expect(starting).rejects.toThrow(/table "session" does not exist.*migrationsRun: true/);
    } finally {
      await app.close();
    }
  });
});
