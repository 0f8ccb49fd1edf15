import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { CommitsInFlight } from './commits-in-flight.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SessionStore } from '../stores/session-store.interface.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session.constants.js';

/**
 * Lets the sessions of responses still in flight be saved when the app closes, before the
 * store's connection goes: a handler whose client hung up (or whose socket the server closed)
 * goes on running, and its save would otherwise meet a closed data source.
 *
 * It waits twice, within one `shutdownTimeout` in all: before the HTTP server closes, whatever
 * the order of modules, and again after, for requests that came in meanwhile; that second wait
 * precedes TypeORM's own shutdown when SessionModule is imported after TypeOrmModule. Then it
 * closes the store (`close()`, for the stores that own a connection: the Redis ones).
 */
@Injectable()
export class SessionShutdown implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('SessionShutdown');
  private deadline: number | undefined;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly inFlight: CommitsInFlight,
    @Inject(SessionStore) private readonly store: SessionStore,
  ) {}

  beforeApplicationShutdown(): Promise<void> {
    return this.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
    await this.store.close?.();
  }

  private async drain(): Promise<void> {
    const inFlight = this.inFlight;
    if (inFlight.size === 0) return;
    this.deadline ??= Date.now() + this.options.shutdownTimeout;
    const left = this.deadline - Date.now();
    // Past the deadline, the first wait has already said what was left behind.
    if (left <= 0 || (await inFlight.settled(left))) return;
    this.logger.warn(
      `${inFlight.size} response(s) still committing their sessions after shutdownTimeout ` +
        `(${this.options.shutdownTimeout} ms); closing without them.`,
    );
  }
}
