/**
 * `npm run bench:library`: the CPU the library itself spends on one request of each kind, in one
 * process, with no HTTP and no database — a session handle on a real `ServerResponse` (whose end
 * goes nowhere) and a `MemorySessionStore`. Against a baseline that makes and ends the same
 * response without a session, it tells how much of a request's cost in `npm run bench` is the
 * library's own work (cookie, signing, JSON, the save policy) rather than I/O, the database
 * client or the framework.
 *
 * BENCH_REQUESTS (200000) per kind and round, BENCH_ROUNDS (5); medians.
 */
import 'reflect-metadata';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { MemorySessionStore, type RequestSession } from '../src/session/index.js';
import { CommitsInFlight } from '../src/session/http/commits-in-flight.js';
import { resolveSessionOptions } from '../src/session/options/resolve-session-options.js';
import { SessionCodec } from '../src/session/rows/session-codec.js';
import { SessionCookie } from '../src/session/http/session-cookie.js';
import { SessionEngine } from '../src/session/engine/session-engine.js';
import { NO_REQUEST } from '../src/session/engine/session-policy.js';
import { SessionHandle, type SessionHandleDeps } from '../src/session/http/session-handle.js';
import { SessionRows } from '../src/session/rows/session-rows.js';
import { SessionWriter } from '../src/session/writer/session-writer.js';
import { median } from './support/median.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SESSIONS = 256;

// Wired by hand as SessionModule wires it, without Nest.
const options = resolveSessionOptions({ secret: 'library-benchmark-secret-of-32-characters-or-more' }, 'production');
const rows = new SessionRows(
  new MemorySessionStore(),
  new SessionCodec(options.secret, options.secretFallbacks),
  options,
);
const engine = new SessionEngine(options, new SessionWriter(options, rows));
const deps: SessionHandleDeps = {
  engine,
  cookie: new SessionCookie(options),
  inFlight: new CommitsInFlight(),
  saveEveryRequest: false,
};
const socket = new Socket();

/** A response as Node makes it for a request, whose `end` writes nothing. */
function response(): ServerResponse {
  const res = new ServerResponse(new IncomingMessage(socket));
  res.end = function (this: ServerResponse) {
    return this;
  } as ServerResponse['end'];
  return res;
}

/** Lets the save that `end` started finish, as the event loop would before the next request. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One request carrying `cookie` (none for `undefined`): its handle made, the session loaded and
 * handed to `use` when there is one, the response ended.
 */
async function request(cookie: string | undefined, use?: (session: RequestSession) => void): Promise<void> {
  const res = response();
  const handle = new SessionHandle(deps, res, cookie);
  if (use) use(await handle.load());
  res.end('ok');
  await nextTurn();
}

type Kind = (i: number, keys: string[]) => Promise<void>;
const KINDS: Record<string, Kind> = {
  'no session (baseline)': async () => {
    response().end('ok');
    await nextTurn();
  },
  'untouched, with a session cookie': (i, keys) => request(keys[i % SESSIONS]),
  'read existing session': (i, keys) => request(keys[i % SESSIONS], (session) => session.get('user')),
  'new-session write': (i) => request(undefined, (session) => session.set('item', String(i))),
  'write to existing session': (i, keys) => request(keys[i % SESSIONS], (session) => session.set('item', String(i))),
};

async function cpuMicrosPerRequest(kind: Kind, keys: string[]): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await kind(i, keys);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

async function main(): Promise<void> {
  const keys: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const session = await engine.open(null);
    session.set('user', String(i));
    const saved = await engine.commit(session, { request: NO_REQUEST, status: 200 });
    if (typeof saved !== 'object') throw new Error('a new session with data was not saved');
    keys.push(saved.key);
  }
  const samples = new Map<string, number[]>();
  for (const kind of Object.values(KINDS)) await cpuMicrosPerRequest(kind, keys); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, kind] of Object.entries(KINDS)) {
      samples.set(name, [...(samples.get(name) ?? []), await cpuMicrosPerRequest(kind, keys)]);
    }
  }
  const baseline = median(samples.get('no session (baseline)')!);
  console.table(
    [...samples].map(([name, values]) => ({
      request: name,
      'CPU µs/req': median(values).toFixed(1),
      'library µs/req': name.includes('baseline') ? '' : (median(values) - baseline).toFixed(1),
    })),
  );
  console.log(
    `Node ${process.version}; ${ROUNDS} rounds of ${REQUESTS.toLocaleString('en-US')} requests per kind, medians`,
  );
}

await main();
