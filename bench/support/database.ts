import mysql from 'mysql2/promise';

/** A database of a benchmark's own on a MariaDB server, and an admin connection to it. */
export interface BenchDatabase {
  admin: mysql.Connection;
  /** The database's URL, for the servers under test (`DATABASE_URL`). */
  url: string;
  /** Drops the database and closes the connection. */
  drop(): Promise<void>;
}

/**
 * The database `name` on the server at `serverUrl`: made fresh (a leftover of an interrupted run
 * is dropped first), unless `keep` asks to reuse what a previous run left there.
 */
export async function benchDatabase(
  serverUrl: URL,
  name: string,
  options: { keep?: boolean } = {},
): Promise<BenchDatabase> {
  const admin = await mysql.createConnection({ uri: serverUrl.toString() });
  if (!options.keep) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
  await admin.changeUser({ database: name });
  return {
    admin,
    url: Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}
