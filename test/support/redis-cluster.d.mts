/** A Redis the test run started, and how to stop it. */
interface StartedServers {
  /** Shuts the servers down and removes their directory. */
  stop(): void;
}

/** Whether the tests that start a Redis of their own run: where redis-server is installed, and under CI=true. */
export function ownRedisRuns(): boolean;

/** A single Redis with `args` added to its command line; its `url` is `redis://127.0.0.1:<port>`. */
export function startRedisServer(args?: string[]): Promise<StartedServers & { url: string }>;

/** A three-node Redis Cluster; its `nodes` are `host:port`. */
export function startRedisCluster(): Promise<StartedServers & { nodes: string[] }>;
