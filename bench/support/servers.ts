/** A server of the bench: its name in the report, its script, and what it runs on. */
export interface BenchServer {
  name: string;
  script: string;
  env?: Record<string, string>;
  /** Sessions in the bench's PostgreSQL database rather than MariaDB's. */
  postgres?: boolean;
  /** Makes no sessions over HTTP: the bench gives its requests cookies (see `main` of `bench/http.ts`). */
  sessionless?: boolean;
}

const ON_FASTIFY = { BENCH_PLATFORM: 'fastify' };

/** Every server the bench can start, by id. */
export const ALL_SERVERS = {
  ours: { name: 'nest-sessions', script: 'dist/bench/apps/ours.main.js' },
  peer: { name: 'express-session + connect-typeorm', script: 'dist/bench/apps/peer.main.js' },
  cache: {
    name: 'nest-sessions, cache (Redis)',
    script: 'dist/bench/apps/ours.main.js',
    env: { SESSION_STORE: 'cache' },
  },
  cached: {
    name: 'nest-sessions, cached_db (Redis + MariaDB)',
    script: 'dist/bench/apps/ours.main.js',
    env: { SESSION_STORE: 'cached_db' },
  },
  'peer-redis': { name: 'express-session + connect-redis', script: 'dist/bench/apps/peer-redis.main.js' },
  pg: { name: 'nest-sessions, PostgreSQL', script: 'dist/bench/apps/ours.main.js', postgres: true },
  'peer-pg': {
    name: 'express-session + connect-pg-simple',
    script: 'dist/bench/apps/peer-pg.main.js',
    postgres: true,
  },
  ceiling: { name: 'no session (ceiling)', script: 'dist/bench/apps/bare.main.js', sessionless: true },
  floor: { name: 'raw mysql2 queries (floor)', script: 'dist/bench/apps/floor.main.js', sessionless: true },
  'redis-floor': {
    name: 'raw node-redis commands (Redis floor)',
    script: 'dist/bench/apps/redis-floor.main.js',
    sessionless: true,
  },
  fastify: { name: 'nest-sessions on Fastify', script: 'dist/bench/apps/ours.main.js', env: ON_FASTIFY },
  'peer-fastify': { name: '@fastify/session + connect-typeorm', script: 'dist/bench/apps/peer-fastify.main.js' },
  'fastify-ceiling': {
    name: 'no session on Fastify (ceiling)',
    script: 'dist/bench/apps/bare.main.js',
    env: ON_FASTIFY,
    sessionless: true,
  },
  store: { name: "the library's store alone", script: 'dist/bench/apps/store.main.js' },
  rolling: {
    name: 'nest-sessions, saveEveryRequest',
    script: 'dist/bench/apps/ours.main.js',
    env: { SESSION_SAVE_EVERY_REQUEST: 'true' },
  },
  touched: {
    name: 'nest-sessions, saveEveryRequest + touchAfter 60',
    script: 'dist/bench/apps/ours.main.js',
    env: { SESSION_SAVE_EVERY_REQUEST: 'true', SESSION_TOUCH_AFTER: '60' },
  },
} as const satisfies Record<string, BenchServer>;
export type ServerId = keyof typeof ALL_SERVERS;
