import { createHash } from 'node:crypto';
import { DeadlineWatch } from '../deadline-watch.js';

/**
 * The part of a node-redis client (`createClient()` of the `redis` package, 5.6 or later: the
 * first whose command options have `timeout`) that the Redis stores use. Stated here rather than
 * imported, so that the library does not depend on `redis` for applications that keep sessions
 * elsewhere.
 */
export interface RedisClientLike extends Reconnectable {
  sendCommand(args: string[], options?: CommandTimer): Promise<unknown>;
}

/** The command option the stores set: `timeout: 0`, as they time their commands themselves. */
interface CommandTimer {
  timeout?: number;
}

/** What both kinds of client have for the stores to replace a connection that went silent. */
interface Reconnectable {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  /** Closes once the commands already sent are answered. */
  close(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
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

/** A connected node-redis client or cluster client. */
export type RedisLike = RedisClientLike | RedisClusterLike;

/** A Lua script, sent by its SHA1 digest once the server knows it. */
export interface RedisScript {
  source: string;
  sha: string;
}

/** A script of `source`, with its digest. */
export function redisScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

function isCluster(redis: RedisLike): redis is RedisClusterLike {
  return 'masters' in redis && typeof redis.nodeClient === 'function';
}

const UNTIMED: CommandTimer = { timeout: 0 };

/** The least time between two replacements of the connection. */
const RECONNECT_INTERVAL = 1_000;

/**
 * Commands to a single Redis or a Redis Cluster, routed by the key they touch. node-redis writes
 * the commands issued in one turn of the event loop to each connection together, so that
 * operations started in the same turn cost one round trip.
 *
 * A command unanswered after `commandTimeout` fails, and the client's connections are replaced
 * (`destroy()`, then `connect()`): node-redis waits forever on a connection whose peer went
 * silent without closing it (a half-open connection), and would otherwise never recover. A
 * client is never reopened once its owner closed it.
 */
export class RedisConnection {
  private readonly deadlines: DeadlineWatch | undefined;
  private lastReconnect = 0;
  private reconnecting: Promise<void> | undefined;
  /** Set while a client this connection destroyed has not connected again. */
  private closedHere = false;
  /** Set by `close()`: no reconnection after. */
  private closed = false;

  constructor(
    private readonly redis: RedisLike,
    commandTimeout?: number,
  ) {
    if (commandTimeout !== undefined) this.deadlines = new DeadlineWatch(commandTimeout, () => this.stalled());
  }

  /** Sends `args`, a command about `key`, to the node that holds `key`. */
  send(key: string, args: string[], readonly = false): Promise<unknown> {
    const redis = this.redis;
    // A replacement whose connect() failed left the client closed: every command tries again.
    if (this.closedHere) this.reconnect();
    // node-redis 6 otherwise starts a timer (an AbortSignal) for every command.
    const sent = isCluster(redis) ? redis.sendCommand(key, readonly, args, UNTIMED) : redis.sendCommand(args, UNTIMED);
    return this.deadlines ? this.deadlines.watch(sent) : sent;
  }

  private stalled(): Error {
    this.reconnect();
    return new Error('Redis did not answer in time; its connection is being replaced');
  }

  private reconnect(): void {
    if (this.closed || this.reconnecting || Date.now() - this.lastReconnect < RECONNECT_INTERVAL) return;
    this.lastReconnect = Date.now();
    this.reconnecting = (async () => {
      try {
        if (this.redis.isOpen) this.redis.destroy();
        this.closedHere = true;
        await this.redis.connect();
        this.closedHere = false;
      } catch {
        // Reported through the client's error event; the next failing command tries again.
      } finally {
        this.reconnecting = undefined;
      }
    })();
  }

  /**
   * Runs `script` with `keys` (all in one hash slot on a cluster) and `args`: by digest, and by
   * source once when the node answers that it does not know the script yet.
   */
  async run(script: RedisScript, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(keys[0], ['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return this.send(keys[0], ['EVAL', script.source, ...tail]);
    }
  }

  /** Every key matching `pattern`, in pages, from every primary of a cluster. */
  async *scan(pattern: string, count = 1000): AsyncIterable<string[]> {
    for (const { node } of await this.primaries()) {
      let cursor = '0';
      do {
        const [next, keys] = (await node.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(count)])) as [
          string,
          string[],
        ];
        cursor = String(next);
        if (keys.length) yield keys;
      } while (cursor !== '0');
    }
  }

  /**
   * Sends `args` to every primary: the one Redis, or each master of a cluster. Resolves each
   * reply with where it came from (`host:port` on a cluster, `undefined` on a single Redis).
   */
  async everyPrimary(args: string[]): Promise<{ address?: string; reply: unknown }[]> {
    const primaries = await this.primaries();
    return Promise.all(
      primaries.map(async ({ address, node }) => ({ address, reply: await node.sendCommand(args, UNTIMED) })),
    );
  }

  private async primaries(): Promise<{ address?: string; node: RedisClientLike }[]> {
    const redis = this.redis;
    if (!isCluster(redis)) return [{ node: redis }];
    return Promise.all(
      redis.masters.map(async (master) => ({
        address: `${master.host}:${master.port}`,
        node: await redis.nodeClient(master as never),
      })),
    );
  }

  /** Closes the client, once what was sent is answered; never reopened after. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.redis.isOpen) await this.redis.close();
  }

  /** Calls `listener` with the connection's errors, which would otherwise end the process. */
  onError(listener: (error: Error) => void): void {
    this.redis.on('error', listener);
  }
}

/** A hash as `HGETALL` returns it, as an object: RESP3 gives one, RESP2 a flat list. */
export function hashReply(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) return (reply ?? {}) as Record<string, string>;
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  return hash;
}
