#!/usr/bin/env node
// `npm test`: type-checks, lints and checks the formatting, then runs the whole Jest suite on
// SQLite and, when MariaDB answers, on MariaDB as well. Under CI=true a MariaDB that does not
// answer fails the run.
import { spawnSync } from 'node:child_process';
import mysql from 'mysql2/promise';

const mariadbUrl = process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';
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
else if (ci) {
  console.error('CI=true: MariaDB is required. Start it, or set TEST_MARIADB_URL.');
  process.exit(1);
} else console.warn('Running on SQLite only: the MariaDB half of the suite is skipped.');

console.log(`Databases under test: ${databases.join(', ')}`);
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
      TEST_RUN_ID: runId,
      NODE_ENV: 'test',
    },
  },
);
if (databases.includes('mariadb')) await dropRunDatabases(runId);
process.exit(jest.status ?? 1);

/** Drops the MariaDB databases this run's workers made. */
async function dropRunDatabases(id) {
  const connection = await mysql.createConnection({ uri: mariadbUrl });
  const [rows] = await connection.query('SHOW DATABASES LIKE ?', [`nest\\_sessions\\_test\\_${id}\\_%`]);
  for (const row of rows) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
  await connection.end();
}
