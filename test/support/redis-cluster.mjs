// Redis servers of the test run's own: a three-node Redis Cluster, or a single server with
// settings of its own, each started on free ports in a directory of its own and stopped, its
// directory removed, when it is no longer needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NODES = 3;

/** A free port whose cluster bus port (10000 above) is free too. */
async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if ((await isFree(port)) && (await isFree(port + 10000))) return port;
  }
}

function isFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function redisCli(port, ...args) {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
}

/**
 * Whether the tests that start a Redis of their own run: where `redis-server` is installed, and
 * always under CI=true, where one missing fails them.
 */
export function ownRedisRuns() {
  const ci = ['1', 'true'].includes(String(process.env.CI).toLowerCase());
  return ci || spawnSync('redis-server', ['--version']).status === 0;
}

/** Starts redis-server in the background on each of `ports`, with `args` added; waits until each answers. */
async function startServers(dir, ports, args) {
  for (const port of ports) {
    const started = spawnSync('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      join(dir, `${port}.pid`),
      '--logfile',
      join(dir, `${port}.log`),
      ...args(port),
    ]);
    if (started.status !== 0) throw new Error(`redis-server on port ${port} did not start`);
  }
  for (const port of ports)
    await until(() => redisCli(port, 'ping').stdout.trim() === 'PONG', `port ${port} to answer`);
}

/** Free ports for `count` servers, a directory for them, and how to stop them and remove it. */
async function serversOf(prefix, count) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ports = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const stop = () => {
    for (const port of ports) redisCli(port, 'shutdown', 'nosave');
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, ports, stop };
}

/**
 * Starts a single Redis with `args` added to its command line (`--maxmemory-policy`, say);
 * resolves its `url` and a `stop()`, or throws with what went wrong.
 */
export async function startRedisServer(args = []) {
  const { dir, ports, stop } = await serversOf('nest-sessions-redis-', 1);
  try {
    await startServers(dir, ports, () => args);
    return { url: `redis://127.0.0.1:${ports[0]}`, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * Starts the cluster; resolves its nodes (`host:port`) and a `stop()`, or throws with what
 * went wrong.
 */
export async function startRedisCluster() {
  const { dir, ports, stop } = await serversOf('nest-sessions-cluster-', NODES);
  try {
    await startServers(dir, ports, (port) => [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
    ]);
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
      {
        encoding: 'utf8',
      },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) {
      await until(() => /cluster_state:ok/.test(redisCli(port, 'cluster', 'info').stdout), `node ${port} to join`);
    }
    return { nodes, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

async function until(check, what) {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
