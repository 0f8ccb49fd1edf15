/**
 * The Redis clients the stores take — node-redis (`createClient()`, `createCluster()` of the
 * `redis` package, 5.6 or later) and ioredis (`new Redis()`, `new Cluster()`, 5 or later) — as
 * the parts the stores use, stated here rather than imported so that the library depends on
 * neither; and one driver over each, so that the rest of the stores never asks which it has.
 */

/** The command option the stores set on node-redis: `timeout: 0`, as they time commands themselves. */
interface CommandTimer {
  timeout?: number;
}

/** What a node-redis client and cluster client both have for the stores to replace a silent connection. */
interface Reconnectable {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  /** Closes once the commands already sent are answered. */
  close(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a node-redis client (`createClient()`) that the Redis stores use. */
export interface RedisClientLike extends Reconnectable {
  sendCommand(args: string[], options?: CommandTimer): Promise<unknown>;
}

/** The part of a node-redis cluster client (`createCluster()`) that the Redis stores use. */
export interface RedisClusterLike extends Reconnectable {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: CommandTimer,
  ): Promise<unknown>;
  readonly masters: readonly { host: string; port: number }[];
  nodeClient(node: never): Promise<RedisClientLike>;
}

/** The part of an ioredis client (`new Redis()`), or of one node of an ioredis cluster, that the stores use. */
export interface IoRedisLike {
  call(command: string, args: string[]): Promise<unknown>;
  readonly status: string;
  readonly options: { host?: string; port?: number };
  connect(): Promise<unknown>;
  disconnect(reconnect?: boolean): void;
  quit(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of an ioredis cluster client (`new Cluster()`) that the stores use. */
export interface IoRedisClusterLike extends Omit<IoRedisLike, 'options'> {
  readonly isCluster: boolean;
  nodes(role: 'master'): IoRedisLike[];
}

/**
 * A connected client of one of the kinds above.
 * @public
 */
export type RedisLike = RedisClientLike | RedisClusterLike | IoRedisLike | IoRedisClusterLike;

/** One primary of a Redis: the one Redis, or a master of a cluster (`address` then says which). */
export interface RedisPrimary {
  address?: string;
  send(args: string[]): Promise<unknown>;
}

/** A client as the stores drive it, whatever its kind. */
export interface RedisDriver {
  /** Sends `args`, a command about `key`, to the node that holds `key`. */
  send(key: string, args: string[], readonly: boolean): Promise<unknown>;
  primaries(): Promise<RedisPrimary[]>;
  /** Whether the client is closed (its owner closed it, or a replacement of its connection failed). */
  readonly closed: boolean;
  /** Drops the client's connections and opens new ones. */
  reconnect(): Promise<void>;
  /** Closes the client once what was sent is answered. */
  close(): Promise<void>;
  onError(listener: (error: Error) => void): void;
}

// node-redis 6 otherwise starts a timer (an AbortSignal) for every command.
const UNTIMED: CommandTimer = { timeout: 0 };

/** The driver of `redis`. */
export function redisDriver(redis: RedisLike): RedisDriver {
  if ('call' in redis) return ioRedisDriver(redis);
  const onError = (listener: (error: Error) => void) => void redis.on('error', listener);
  const lifecycle = {
    get closed() {
      return !redis.isOpen;
    },
    reconnect: async () => {
      if (redis.isOpen) redis.destroy();
      await redis.connect();
    },
    close: async () => {
      if (redis.isOpen) await redis.close();
    },
    onError,
  };
  if (!('masters' in redis)) {
    return {
      ...lifecycle,
      send: (_key, args) => redis.sendCommand(args, UNTIMED),
      primaries: async () => [{ send: (args) => redis.sendCommand(args, UNTIMED) }],
    };
  }
  return {
    ...lifecycle,
    send: (key, args, readonly) => redis.sendCommand(key, readonly, args, UNTIMED),
    primaries: () =>
      Promise.all(
        redis.masters.map(async (master) => {
          const node = await redis.nodeClient(master as never);
          return {
            address: `${master.host}:${master.port}`,
            send: (args: string[]) => node.sendCommand(args, UNTIMED),
          };
        }),
      ),
  };
}

/** ioredis: one `call()` for every command; a cluster routes it by the keys it names itself. */
function ioRedisDriver(redis: IoRedisLike | IoRedisClusterLike): RedisDriver {
  const send = (node: Pick<IoRedisLike, 'call'>, [command, ...args]: string[]) => node.call(command, args);
  return {
    send: (_key, args) => send(redis, args),
    primaries: async () =>
      'nodes' in redis
        ? redis.nodes('master').map((node) => ({
            address: `${node.options.host}:${node.options.port}`,
            send: (args: string[]) => send(node, args),
          }))
        : [{ send: (args: string[]) => send(redis, args) }],
    get closed() {
      return redis.status === 'end';
    },
    // ioredis opens the new connection itself, and sends what it queued meanwhile.
    reconnect: async () => redis.disconnect(true),
    close: async () => {
      if (redis.status !== 'end') await redis.quit();
    },
    onError: (listener) => void redis.on('error', listener),
  };
}
