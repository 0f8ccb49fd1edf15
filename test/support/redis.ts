import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { RedisSessionStore, type RedisLike, type SessionInfo } from '../../src/session/index.js';
import type { RedisClientLike } from '../../src/session/stores/redis/redis-clients.js';
import { RedisConnection } from '../../src/session/stores/redis/redis-connection.js';
import * as scripts from '../../src/session/stores/redis/redis-scripts.js';

/** The single Redis the suite uses, when `npm test` found one answering (`TEST_REDIS_URL`). */
export function testRedisUrl(): string | undefined {
  return process.env.TEST_REDIS_URL || undefined;
}

/** The nodes of the Redis Cluster `npm test` started (`TEST_REDIS_CLUSTER`, `host:port,…`). */
export function testRedisClusterNodes(): string[] {
  return (process.env.TEST_REDIS_CLUSTER ?? '').split(',').filter(Boolean);
}

/** The kinds of Redis the suite runs on: those `npm test` found or started. */
export function redisKinds(): ('single' | 'cluster')[] {
  return [
    ...(testRedisUrl() ? (['single'] as const) : []),
    ...(testRedisClusterNodes().length ? (['cluster'] as const) : []),
  ];
}

/** The info of a session bound to `userId`, as a save after a login writes it. */
export function boundInfo(userId: string): SessionInfo {
  return { userId, createdAt: new Date(), lastSeenAt: new Date(), ip: '203.0.113.9', userAgent: 'test' };
}

/**
 * Where a test's Redis keys go: its own prefix, so that tests sharing one Redis never meet. The
 * counter starts again in each test file a worker runs (Jest loads the module anew), hence the
 * file's own random part as well.
 */
const filePrefix = randomBytes(4).toString('hex');
let prefixes = 0;
export function testRedisPrefix(): string {
  return `test:${process.env.TEST_RUN_ID ?? '0'}:${process.env.JEST_WORKER_ID ?? '0'}:${filePrefix}:${++prefixes}:`;
}

/** A connected Redis of the suite, and how to drop what a test wrote under its prefix. */
export interface TestRedis {
  redis: RedisLike;
  prefix: string;
  /** Sends a command about `key` as it is, past the store. */
  raw(key: string, args: string[]): Promise<unknown>;
  /** The keys under the prefix. */
  keys(): Promise<string[]>;
  /** Deletes the prefix's keys and closes the connection. */
  close(): Promise<void>;
}

/** The Redis client libraries the stores take. */
export type RedisLibrary = 'node-redis' | 'ioredis';
export const REDIS_LIBRARIES: readonly RedisLibrary[] = ['node-redis', 'ioredis'];

/** A connected client of `library` to the single Redis at `url`, or to the suite's cluster. */
async function connectClient(
  kind: 'single' | 'cluster',
  url: string | undefined,
  library: RedisLibrary,
): Promise<RedisLike> {
  const nodes = testRedisClusterNodes().map((node) => {
    const [host, port] = node.split(':');
    return { host, port: Number(port) };
  });
  if (library === 'ioredis') {
    const client =
      kind === 'single'
        ? new Redis(url!, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
        : new Cluster(nodes, { lazyConnect: true, enableOfflineQueue: false });
    client.on('error', () => {});
    await client.connect();
    return client;
  }
  const client =
    kind === 'single'
      ? createClient({ url, disableOfflineQueue: true })
      : createCluster({ rootNodes: nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })) });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** A client of `library` to the single Redis, or to the cluster, with a fresh prefix. */
export async function connectTestRedis(
  kind: 'single' | 'cluster',
  url = testRedisUrl(),
  library: RedisLibrary = 'node-redis',
): Promise<TestRedis> {
  const prefix = testRedisPrefix();
  const client = await connectClient(kind, url, library);
  const connection = new RedisConnection(client);
  const keysOf = async (through: RedisConnection) => {
    const found: string[] = [];
    for await (const page of through.scan(`${prefix}*`)) found.push(...page);
    return found;
  };
  const keys = () => keysOf(connection);
  return {
    redis: client,
    prefix,
    raw: (key, args) => connection.send(key, args),
    keys,
    close: async () => {
      // On a connection of its own: the store may have closed the client at the app's shutdown.
      const cleanup = new RedisConnection(await connectClient(kind, url, library));
      await Promise.all((await keysOf(cleanup)).map((key) => cleanup.send(key, ['DEL', key])));
      await Promise.all([cleanup.close(), connection.close()]);
    },
  };
}

/** A {@link RedisSessionStore} through a client of `library` on a fresh prefix of the suite's Redis. */
export async function createTestRedisStore(
  kind: 'single' | 'cluster',
  library: RedisLibrary = 'node-redis',
): Promise<{
  store: RedisSessionStore;
  redis: TestRedis;
}> {
  const redis = await connectTestRedis(kind, testRedisUrl(), library);
  return { store: new RedisSessionStore(redis.redis, { prefix: redis.prefix }), redis };
}

/** Each script of the stores by digest and by source: its SQL counterpart, or its own name. */
const SCRIPT_KINDS = new Map<string, string>();
for (const [name, script] of Object.entries(scripts)) {
  const kind = { CREATE_ROW: 'INSERT', UPDATE_ROW: 'UPDATE', DELETE_ROW: 'DELETE', CACHE_READ: 'SELECT' }[name] ?? name;
  SCRIPT_KINDS.set(script.sha, kind).set(script.source, kind);
}

/**
 * What a Redis command does, in the words of the SQL statement it stands in for where there is
 * one (SELECT, INSERT, UPDATE, DELETE), else its own name (or its script's): so that the query
 * budget of the table can be held against Redis command for command.
 */
function commandKind([command, script]: string[]): string {
  if (command === 'HGETALL') return 'SELECT';
  if (command === 'EVALSHA' || command === 'EVAL') return SCRIPT_KINDS.get(script) ?? command;
  return command;
}

/**
 * `redis` itself, with what each command it sends does (see {@link commandKind}) pushed onto
 * `commands`: cache upkeep (a fill, the row moved along) is named after its script.
 */
export function countingRedis(redis: RedisLike, commands: string[]): RedisLike {
  if (!('sendCommand' in redis) || 'masters' in redis) throw new Error('countingRedis() takes a node-redis client');
  const client: RedisClientLike = redis;
  return {
    sendCommand: (args: string[], options?: { timeout?: number }) => {
      commands.push(commandKind(args));
      return client.sendCommand(args, options);
    },
    get isOpen() {
      return client.isOpen;
    },
    connect: () => client.connect(),
    close: () => client.close(),
    destroy: () => client.destroy(),
    on: (event: 'error', listener: (error: Error) => void) => client.on(event, listener),
  };
}
