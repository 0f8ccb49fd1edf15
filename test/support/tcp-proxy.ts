import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** One client connection and its connection upstream. */
interface Pair {
  client: Socket;
  upstream: Socket;
  /** Silenced for good: what it carries is dropped (the half-open fault). */
  dead: boolean;
  /** Client bytes still being delayed on their way upstream. */
  delayed: number;
}

/**
 * A TCP proxy between the app under test and its database, which a test can cut (every
 * connection reset, new ones refused), pause (bytes held back, as in a network partition),
 * half-open (the connections of now go silent for good while new ones pass, as after a NAT or
 * proxy lost its state), delay (the app's bytes reach the database late, even after the app
 * gave up on them) and restore.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  private state: 'open' | 'paused' | 'cut' = 'open';
  private held: [Socket, Buffer][] = [];
  private delayMs = 0;
  /** How many chunks the app's side has sent so far (each a write that reached the proxy whole). */
  sentChunks = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  /** Starts listening on a free port of 127.0.0.1; resolves the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Resets every connection and refuses new ones until `restore()`. */
  cut(): void {
    this.state = 'cut';
    this.held = [];
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  /** Holds every byte back, in both directions, until `restore()`. */
  pause(): void {
    this.state = 'paused';
  }

  /**
   * Silences every connection open now, for good and without closing it: neither side hears
   * from the other again. Connections made afterwards pass as usual.
   */
  halfOpen(): void {
    for (const pair of this.pairs) pair.dead = true;
  }

  /**
   * Delivers the app's bytes to the database `ms` late (0: on time again), even when the app
   * closed its connection meanwhile: a statement it timed out on still arrives, and commits.
   */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Forwards again, first delivering what was held back. */
  restore(): void {
    this.state = 'open';
    this.delayMs = 0;
    for (const [to, chunk] of this.held) if (!to.destroyed) to.write(chunk);
    this.held = [];
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    if (this.state === 'cut') return void client.destroy();
    const upstream = connect(this.targetPort, this.targetHost);
    const pair: Pair = { client, upstream, dead: false, delayed: 0 };
    this.pairs.add(pair);
    const deliver = (to: Socket, chunk: Buffer) => {
      if (pair.dead) return;
      if (this.state === 'open') to.write(chunk);
      else this.held.push([to, chunk]);
    };
    client.on('data', (chunk) => {
      this.sentChunks++;
      if (this.delayMs === 0 || pair.dead) return deliver(upstream, chunk);
      pair.delayed++;
      setTimeout(() => {
        pair.delayed--;
        if (!upstream.destroyed) deliver(upstream, chunk);
        if (client.destroyed && pair.delayed === 0) setTimeout(() => upstream.destroy(), 1_000);
      }, this.delayMs);
    });
    upstream.on('data', (chunk) => deliver(client, chunk));
    const close = () => {
      // Bytes on their way upstream still arrive: the database runs what it was sent.
      if (pair.delayed > 0) return void client.destroy();
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }
}
