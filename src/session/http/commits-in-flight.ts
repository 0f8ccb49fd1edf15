import { Injectable } from '@nestjs/common';

/**
 * Counts the responses held back for a session commit, so that shutdown can wait for their
 * saves before the store's connection is closed.
 */
@Injectable()
export class CommitsInFlight {
  private count = 0;
  private readonly waiters = new Set<() => void>();

  /** Responses begun and not yet ended. */
  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count += 1;
  }

  end(): void {
    this.count -= 1;
    if (this.count > 0) return;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Resolves `true` once none are left, or `false` when `ms` milliseconds pass first. */
  settled(ms: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, ms);
      this.waiters.add(wake);
    });
  }
}
