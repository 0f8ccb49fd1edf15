import { Logger } from '@nestjs/common';

/** How long the cache is left alone after it failed, before it is tried again. */
const RETRY_MS = 1_000;
/** Keys whose invalidation is owed, at most; past it, the whole cache is dropped on recovery. */
const MAX_OWED = 100_000;
// A cache that is down fails every call; one log line per this many ms is enough.
const LOG_INTERVAL = 10_000;

/**
 * Knows when the cache of a `CachedSessionStore` may be read: not for a while after it failed,
 * and never for a key whose cached row a write could not invalidate, until that invalidation
 * went through. Such invalidations are retried in the background; when too many are owed to
 * remember, the whole cache is dropped instead.
 */
export class CacheGuard {
  private readonly logger = new Logger('CachedSessionStore');
  private readonly owed = new Set<string>();
  private owesAll = false;
  private downUntil = 0;
  private lastLog = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly invalidate: (keys: string[]) => Promise<void>,
    private readonly invalidateAll: () => Promise<void>,
  ) {}

  /** Whether the cached row of `key` may be trusted now. */
  mayRead(key: string): boolean {
    return !this.owesAll && Date.now() >= this.downUntil && !this.owed.has(key);
  }

  /** A cache call failed: the cache is bypassed for a while. */
  failed(error: unknown): void {
    this.downUntil = Date.now() + RETRY_MS;
    const now = Date.now();
    if (now - this.lastLog < LOG_INTERVAL) return;
    this.lastLog = now;
    const message = (error as Error)?.message ?? String(error);
    this.logger.error(`Redis cache failed, sessions are read from the primary store: ${message}`);
  }

  /** A write could not invalidate the cached row of `key`: it is not read until it is. */
  owe(key: string, error: unknown): void {
    this.failed(error);
    if (this.owed.size >= MAX_OWED) this.owesAll = true;
    else this.owed.add(key);
    this.retry ??= setTimeout(() => void this.payBack(), RETRY_MS).unref();
  }

  /** Stops retrying (the store's connection is closing). */
  stop(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  private async payBack(): Promise<void> {
    const all = this.owesAll;
    const keys = [...this.owed];
    try {
      if (all) await this.invalidateAll();
      else await this.invalidate(keys);
      if (all) this.owesAll = false;
      for (const key of keys) this.owed.delete(key);
    } catch (error) {
      this.failed(error);
    }
    this.retry =
      this.owed.size > 0 || this.owesAll ? setTimeout(() => void this.payBack(), RETRY_MS).unref() : undefined;
  }
}
