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
import { MemorySessionStore, resolveSessionOptions, SessionEngine } from '../src/session/index.js';
import { SessionHandle } from '../src/session/session-handle.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SESSIONS = 256;

const engine = new SessionEngine(
  resolveSessionOptions({ secret: 'library-benchmark-secret-of-32-characters-or-more' }, 'production'),
  new MemorySessionStore(),
);
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

type Kind = (i: number, keys: string[]) => Promise<void>;
const KINDS: Record<string, Kind> = {
  'no session (baseline)': async () => {
    response().end('ok');
    await nextTurn();
  },
  'untouched, with a session cookie': async (i, keys) => {
    const res = response();
    new SessionHandle(engine, res, keys[i % SESSIONS]);
    res.end('ok');
    await nextTurn();
  },
  'read existing session': async (i, keys) => {
    const res = response();
    const session = await new SessionHandle(engine, res, keys[i % SESSIONS]).load();
    session.get('user');
    res.end('ok');
    await nextTurn();
  },
  'new-session write': async (i) => {
    const res = response();
    (await new SessionHandle(engine, res, undefined).load()).set('item', String(i));
    res.end('ok');
    await nextTurn();
  },
  'write to existing session': async (i, keys) => {
    const res = response();
    (await new SessionHandle(engine, res, keys[i % SESSIONS]).load()).set('item', String(i));
    res.end('ok');
    await nextTurn();
  },
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
    keys.push((await engine.persist(session, true))!.key);
  }
  const samples = new Map<string, number[]>();
  for (const kind of Object.values(KINDS)) await cpuMicrosPerRequest(kind, keys); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, kind] of Object.entries(KINDS)) {
      samples.set(name, [...(samples.get(name) ?? []), await cpuMicrosPerRequest(kind, keys)]);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const baseline = median(samples.get('no session (baseline)')!);
  console.table(
    [...samples].map(([name, values]) => ({
      request: name,
      'CPU µs/req': median(values).toFixed(1),
      'library µs/req': name.includes('baseline') ? '' : (median(values) - baseline).toFixed(1),
    })),
  );
  console.log(`Node ${process.version}; ${ROUNDS} rounds of ${REQUESTS.toLocaleString('en-US')} requests per kind, medians`);
}

await main();
