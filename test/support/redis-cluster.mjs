// A three-node Redis Cluster for the test run: started on free ports in a directory of its own,
// and stopped, its directory removed, when the run ends.
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
 * Starts the cluster; resolves its nodes (`host:port`) and a `stop()`, or throws with what
 * went wrong.
 */
export async function startRedisCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'nest-sessions-cluster-'));
  const ports = [];
  for (let i = 0; i < NODES; i++) ports.push(await freePort());
  const stop = () => {
    for (const port of ports) redisCli(port, 'shutdown', 'nosave');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const started = spawnSync('redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
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
      ]);
      if (started.status !== 0) throw new Error(`redis-server on port ${port} did not start`);
    }
    for (const port of ports)
      await until(() => redisCli(port, 'ping').stdout.trim() === 'PONG', `port ${port} to answer`);
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
