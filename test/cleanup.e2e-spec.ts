import { DataSource } from 'typeorm';
import { generateSessionKey, TypeOrmSessionStore } from '../src/session/index.js';
import { testDatabases, testDataSourceOptions, type TestDatabase } from './support/databases.js';

const servers = testDatabases().filter((db) => db !== 'sqlite');
const HOUR = 3_600_000;

/** Every batch of a cleanup of the rows expired at `now`, added up. */
async function drain(store: TypeOrmSessionStore, now: Date, batchSize: number): Promise<number> {
  let deleted = 0;
  for await (const n of store.clearExpiredInBatches(now, batchSize)) deleted += n;
  return deleted;
}

// Several servers on one database may each run the cleanup (`clearExpiredEvery`, a job each).
(servers.length ? describe.each(servers) : describe.skip.each<TestDatabase>(['postgres']))(
  'expired-session cleanups on %s',
  (db) => {
    let first: DataSource;
    let second: DataSource;
    let store: TypeOrmSessionStore;
    beforeEach(async () => {
      const options = await testDataSourceOptions(db);
      first = await new DataSource(options).initialize();
      second = await new DataSource({ ...options, migrationsRun: false }).initialize();
      store = new TypeOrmSessionStore(first, { statementTimeout: 2_000 });
    });
    afterEach(async () => {
      await first.destroy();
      await second.destroy();
    });

    /** `count` rows at once (a few multi-row INSERTs), expired or live; resolves their keys. */
    const seed = (count: number, expired: boolean) => {
      const keys = Array.from({ length: count }, () => generateSessionKey());
      const expiresAt = new Date(Date.now() + (expired ? -HOUR : HOUR));
      return Promise.all(keys.map((key) => store.create(key, { data: 'x', expiresAt }))).then(() => keys);
    };

    it('two at once, as two servers run them, delete every expired row once and no live one', async () => {
      await seed(600, true);
      const live = await seed(60, false);
      const other = new TypeOrmSessionStore(second, { statementTimeout: 2_000 });
      const now = new Date();
      const deleted = await Promise.all([drain(store, now, 50), drain(other, now, 50)]);
      expect(deleted[0] + deleted[1]).toBe(600);
      expect(await store.count()).toEqual({ live: 60, expired: 0 });
      for (const key of live) expect(await store.exists(key)).toBe(true);
    });

    (db === 'postgres' ? it : it.skip)(
      'passes over an expired row another transaction holds, rather than wait for it',
      async () => {
        const [held, ...rest] = await seed(5, true);
        const holder = second.createQueryRunner();
        await holder.startTransaction();
        try {
          // A save of that row, say, not committed yet.
          await holder.query('SELECT 1 FROM session WHERE session_key = $1 FOR UPDATE', [held]);
          expect(await store.clearExpired(new Date(), 10)).toBe(rest.length);
        } finally {
          await holder.commitTransaction();
          await holder.release();
        }
        expect(await store.clearExpired(new Date(), 10)).toBe(1);
      },
    );
  },
);
