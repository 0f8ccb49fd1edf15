import { createHash } from 'node:crypto';
import { DeadlineWatch } from '../deadline-watch.js';
import { redisDriver, type RedisDriver, type RedisLike } from './redis-clients.js';

/** A Lua script, sent by its SHA1 digest once the server knows it. */
export interface RedisScript {
  source: string;
  sha: string;
}

/** A script of `source`, with its digest. */
export function redisScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** The least time between two replacements of the connection. */
const RECONNECT_INTERVAL = 1_000;

/**
 * Commands to a single Redis or a Redis Cluster, routed by the key they touch, through any client
 * of {@link RedisLike}. The clients write the commands issued in one turn of the event loop to
 * each connection together, so that operations started in the same turn cost one round trip.
 *
 * A command unanswered after `commandTimeout` fails, and the client's connections are replaced:
 * a client waits on a connection whose peer went silent without closing it (a half-open
 * connection), and would otherwise never recover. A client is never reopened once its owner
 * closed it.
 */
export class RedisConnection {
  private readonly deadlines: DeadlineWatch | undefined;
  private readonly driver: RedisDriver;
  private lastReconnect = 0;
  private reconnecting: Promise<void> | undefined;
  /** Set while a client this connection destroyed has not connected again. */
  private closedHere = false;
  /** Set by `close()`: no reconnection after. */
  private closed = false;

  constructor(redis: RedisLike, commandTimeout?: number) {
    this.driver = redisDriver(redis);
    if (commandTimeout !== undefined) this.deadlines = new DeadlineWatch(commandTimeout, () => this.stalled());
  }

  /** Sends `args`, a command about `key`, to the node that holds `key`. */
  send(key: string, args: string[], readonly = false): Promise<unknown> {
    // A replacement whose connect() failed left the client closed: every command tries again.
    if (this.closedHere) this.reconnect();
    const sent = this.driver.send(key, args, readonly);
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
        this.closedHere = true;
        await this.driver.reconnect();
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
    for (const node of await this.driver.primaries()) {
      let cursor = '0';
      do {
        const [next, keys] = (await node.send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(count)])) as [
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
    const primaries = await this.driver.primaries();
    return Promise.all(primaries.map(async ({ address, send }) => ({ address, reply: await send(args) })));
  }

  /** Closes the client, once what was sent is answered; never reopened after. */
  async close(): Promise<void> {
    this.closed = true;
    await this.driver.close();
  }

  /** Calls `listener` with the connection's errors, which would otherwise end the process. */
  onError(listener: (error: Error) => void): void {
    this.driver.onError(listener);
  }
}

/** A hash as `HGETALL` returns it, as an object: RESP3 gives one, RESP2 a flat list. */
export function hashReply(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) return (reply ?? {}) as Record<string, string>;
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  return hash;
}
