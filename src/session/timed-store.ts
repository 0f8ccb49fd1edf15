import { Inject, Injectable, Logger } from '@nestjs/common';
import { DeadlineWatch } from './deadline-watch.js';
import type { ResolvedSessionOptions } from './session-options.js';
import {
  SessionKeyTakenError,
  SessionStore,
  type SessionCounts,
  type SessionRecord,
  type SessionRenewal,
  type StoredSession,
  type UserSessionRow,
} from './session-store.interface.js';
import { SessionStoreUnavailableError } from './session.errors.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';

/**
 * The store as requests and the sessions API use it: each operation fails with a 503
 * ({@link SessionStoreUnavailableError}, and a line in the log) when the store fails, or says
 * nothing within `storeTimeout`, so that no request waits on a database that went silent.
 */
@Injectable()
export class TimedStore {
  private readonly logger = new Logger('SessionStore');
  private readonly deadlines: DeadlineWatch;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) options: ResolvedSessionOptions,
    @Inject(SessionStore) private readonly store: SessionStore,
  ) {
    this.deadlines = new DeadlineWatch(
      options.storeTimeout,
      () => new Error(`no answer within ${options.storeTimeout} ms`),
    );
  }

  load(key: string, alias?: string): Promise<StoredSession | undefined> {
    return this.call(() => this.store.load(key, alias));
  }

  /** Rejects with {@link SessionKeyTakenError} as the store does, for the caller to draw another key. */
  create(key: string, record: SessionRecord): Promise<void> {
    return this.call(() => this.store.create(key, record));
  }

  update(key: string, record: SessionRecord, version: number): Promise<boolean> {
    return this.call(() => this.store.update(key, record, version));
  }

  delete(key: string, version?: number): Promise<boolean> {
    return this.call(() => this.store.delete(key, version));
  }

  exists(key: string): Promise<boolean> {
    return this.call(() => this.store.exists(key));
  }

  count(now: Date): Promise<SessionCounts> {
    return this.call(() => this.store.count(now));
  }

  /** The store's `renew()`; `false` when the store cannot renew keys. */
  renew(key: string, renewal: SessionRenewal): Promise<boolean> {
    const store = this.store;
    if (!store.renew) return Promise.resolve(false);
    return this.call(() => store.renew!(key, renewal));
  }

  /** The store's `listByUser()`; `undefined` when the store keeps no user index. */
  listByUser(userId: string, now: Date): Promise<UserSessionRow[]> | undefined {
    const store = this.store;
    if (!store.listByUser) return undefined;
    return this.call(() => store.listByUser!(userId, now));
  }

  /** Logs the failure of a save that had no store operation of its own to fail (a queue wait). */
  logFailure(message: string): void {
    this.logger.error(`Session store failed: ${message}`);
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = operation();
    } catch (error) {
      running = Promise.reject(error);
    }
    return this.deadlines.watch(running).catch((error: unknown) => {
      if (error instanceof SessionKeyTakenError) throw error;
      this.logFailure((error as Error)?.message ?? String(error));
      throw new SessionStoreUnavailableError({ cause: error });
    });
  }
}
