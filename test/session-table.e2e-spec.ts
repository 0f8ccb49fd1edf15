import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  SessionConfigError,
  SessionEntity,
  sessionMigrations,
  SessionModule,
  sessionTable,
  TypeOrmSessionStore,
} from '../src/session/index.js';
import { expectPostgresColumns, testDatabases, testDataSourceOptions } from './support/databases.js';
import { ProbeController } from './support/probe.controller.js';
import { TEST_SECRET } from './support/test-app.js';

const TABLE = 'nest_session';
const { entity, migrations } = sessionTable(TABLE);

// An app that already has a `session` table (connect-typeorm's shape) keeps its sessions in another.
describe.each(testDatabases())('sessions in a table of their own name, on %s', (db) => {
  let options: DataSourceOptions;
  let dataSource: DataSource;
  let folder: string;

  beforeEach(async () => {
    const base = await testDataSourceOptions(db);
    // A file, so that the app of a test and the test itself see one SQLite database.
    folder = mkdtempSync(join(tmpdir(), 'nest-sessions-table-'));
    const file = { database: join(folder, 'app.sqlite') };
    options = {
      ...base,
      ...(db === 'sqlite' && file),
      entities: [entity],
      migrations,
      migrationsRun: false,
    } as DataSourceOptions;
    dataSource = await new DataSource(options).initialize();
    await dataSource.query(
      'CREATE TABLE session (id VARCHAR(255) PRIMARY KEY, expiredAt BIGINT NOT NULL, json TEXT NOT NULL)',
    );
    await dataSource.query("INSERT INTO session (id, expiredAt, json) VALUES ('theirs', 1, '{}')");
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(folder, { recursive: true, force: true });
  });

  it('migrates only the named table, under migration names of its own, and reverts cleanly', async () => {
    const ran = await dataSource.runMigrations();
    expect(ran.map((migration) => migration.name)).toEqual([
      `CreateSessionTable_${TABLE}_1764151200000`,
      `AddSessionVersion_${TABLE}_1764324000000`,
      `AddSessionInfo_${TABLE}_1764842400000`,
      `AddSessionRenewal_${TABLE}_1764928800000`,
    ]);
    const runner = dataSource.createQueryRunner();
    try {
      const table = await runner.getTable(TABLE);
      expect(table?.columns.map((column) => column.name)).toHaveLength(12);
      expect(table?.indices.map((index) => index.name)).toEqual(
        expect.arrayContaining([`${TABLE}_expire_date_idx`, `${TABLE}_user_id_idx`]),
      );
      if (db === 'postgres') await expectPostgresColumns(dataSource, TABLE);
      expect(await dataSource.query('SELECT id FROM session')).toEqual([{ id: 'theirs' }]);
      for (let step = 0; step < 4; step++) await dataSource.undoLastMigration();
      expect(await runner.hasTable(TABLE)).toBe(false);
      expect(await runner.hasTable('session')).toBe(true);
    } finally {
      await runner.release();
    }
  });

  it('runs beside the default table: both sets of migrations in one data source', async () => {
    await dataSource.query('DROP TABLE session');
    const both = new DataSource({
      ...options,
      entities: [SessionEntity, entity],
      migrations: [...sessionMigrations, ...migrations],
    });
    await both.initialize();
    try {
      expect(await both.runMigrations()).toHaveLength(8);
      const runner = both.createQueryRunner();
      expect(await runner.hasTable('session')).toBe(true);
      expect(await runner.hasTable(TABLE)).toBe(true);
      await runner.release();
    } finally {
      await both.destroy();
    }
  });

  it('keeps the sessions of an app in the named table and leaves the other alone', async () => {
    await dataSource.runMigrations();
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot(options), SessionModule.forRoot({ secret: TEST_SECRET })],
      controllers: [ProbeController],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const agent = request.agent(app.getHttpServer());
      await agent.get('/set?k=name&v=kept').expect(200);
      expect((await agent.get('/read').expect(200)).body).toMatchObject({ name: 'kept' });
      expect(await dataSource.query(`SELECT session_key FROM ${TABLE}`)).toHaveLength(1);
      expect(await dataSource.query('SELECT id, json FROM session')).toEqual([{ id: 'theirs', json: '{}' }]);
    } finally {
      await app.close();
    }
  });

  it('says which sessions entity to pick when the data source has two', async () => {
    const both = new DataSource({ ...options, entities: [SessionEntity, entity] });
    await both.initialize();
    try {
      expect(() => new TypeOrmSessionStore(both)).toThrow(SessionConfigError);
      expect(() => new TypeOrmSessionStore(both)).toThrow(/2 sessions entities \(tables session, nest_session\)/);
      expect(() => new TypeOrmSessionStore(both, { entity })).not.toThrow();
    } finally {
      await both.destroy();
    }
  });

  it('says what to add when the data source has no sessions entity', async () => {
    const none = new DataSource({ ...options, entities: [] });
    await none.initialize();
    try {
      expect(() => new TypeOrmSessionStore(none)).toThrow(/no sessions entity\. Add `SessionEntity`/);
    } finally {
      await none.destroy();
    }
  });
});

describe('sessionTable', () => {
  it('gives the same classes for the same name', () => {
    expect(sessionTable(TABLE)).toBe(sessionTable(TABLE));
    expect(sessionTable('session').entity).toBe(SessionEntity);
  });

  it.each(['', 'a b', 'x;DROP TABLE y', '1st', 'a'.repeat(65)])('refuses %p as a table name', (name) => {
    expect(() => sessionTable(name)).toThrow(/not a plain table name/);
  });
});
