#!/usr/bin/env node
// `npm test`: type-checks, lints and checks the formatting, then runs the whole Jest suite on
// SQLite and, when they answer, on MariaDB and PostgreSQL as well; on Redis when it answers, and
// on a three-node Redis Cluster it starts itself when `redis-server` is installed. Under CI=true
// a MariaDB, a PostgreSQL or a Redis that does not answer, or a cluster that does not start,
// fails the run.
import { spawnSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { startRedisCluster } from './support/redis-cluster.mjs';

const mariadbUrl = process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';
const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ci = ['1', 'true'].includes(String(process.env.CI).toLowerCase());

async function mariadbAnswers() {
  try {
    const connection = await mysql.createConnection({ uri: mariadbUrl, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch (error) {
    console.warn(`MariaDB at ${mariadbUrl} does not answer: ${error.message}`);
    return false;
  }
}

async function postgresAnswers() {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    console.warn(`PostgreSQL at ${postgresUrl} does not answer: ${error.message}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers() {
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (error) {
    console.warn(`Redis at ${redisUrl} does not answer: ${error.message}`);
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/** Fails the run under CI=true; otherwise warns that part of the suite is skipped. */
function missing(what, fix) {
  if (ci) {
    console.error(`CI=true: ${what} is required. ${fix}`);
    process.exit(1);
  }
  console.warn(`${what} is not there: its part of the suite is skipped.`);
}

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
// Lint with zero warnings, and formatting as Prettier writes it.
run('npx', ['eslint', '--max-warnings', '0', '.']);
run('npx', ['prettier', '--check', '--log-level', 'warn', '.']);

const databases = ['sqlite'];
if (await mariadbAnswers()) databases.push('mariadb');
else missing('MariaDB', 'Start it, or set TEST_MARIADB_URL.');
if (await postgresAnswers()) databases.push('postgres');
else missing('PostgreSQL', 'Start it, or set TEST_POSTGRES_URL.');

const redis = (await redisAnswers()) ? redisUrl : '';
if (!redis) missing('Redis', 'Start redis-server, or set TEST_REDIS_URL.');
let cluster;
try {
  cluster = await startRedisCluster();
} catch (error) {
  missing('A Redis Cluster', `It did not start: ${error.message}`);
}

console.log(`Databases under test: ${databases.join(', ')}${redis ? `; Redis at ${redis}` : ''}`);
if (cluster) console.log(`Redis Cluster under test: ${cluster.nodes.join(', ')}`);
const runId = String(process.pid);
const jest = spawnSync(
  'node',
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      TEST_DATABASES: databases.join(','),
      TEST_MARIADB_URL: mariadbUrl,
      TEST_POSTGRES_URL: postgresUrl,
      TEST_REDIS_URL: redis,
      TEST_REDIS_CLUSTER: cluster?.nodes.join(',') ?? '',
      TEST_RUN_ID: runId,
      NODE_ENV: 'test',
    },
  },
);
cluster?.stop();
if (databases.includes('mariadb')) await dropRunDatabases(runId);
if (databases.includes('postgres')) await dropRunPostgresDatabases(runId);
process.exit(jest.status ?? 1);

/** Drops the MariaDB databases this run's workers made. */
async function dropRunDatabases(id) {
  const connection = await mysql.createConnection({ uri: mariadbUrl });
  const [rows] = await connection.query('SHOW DATABASES LIKE ?', [`nest\\_sessions\\_test\\_${id}\\_%`]);
  for (const row of rows) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
  await connection.end();
}

/** Drops the PostgreSQL databases this run's workers made, closing what still uses them. */
async function dropRunPostgresDatabases(id) {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `nest\\_sessions\\_test\\_${id}\\_%`,
  ]);
  for (const { datname } of rows) await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
  await client.end();
}
