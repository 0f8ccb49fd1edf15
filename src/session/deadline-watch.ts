interface Watched {
  due: number;
  reject(error: Error): void;
}

/**
 * Fails the promises it watches that are still pending `timeoutMs` after they started, with one
 * timer for all of them rather than one per call: a store call on the request path then costs a
 * set entry instead of a timer, a timeout promise and a race. A late promise fails between
 * `timeoutMs` and an eighth of it later.
 */
export class DeadlineWatch {
  private readonly pending = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private readonly interval: number;

  constructor(
    private readonly timeoutMs: number,
    private readonly timeoutError: () => Error,
  ) {
    this.interval = Math.max(1, Math.ceil(timeoutMs / 8));
  }

  /** `promise`, or a rejection with `timeoutError()` if it has not settled in time. */
  watch<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const watched: Watched = { due: performance.now() + this.timeoutMs, reject };
      this.pending.add(watched);
      this.timer ??= this.schedule();
      promise.then(
        (value) => {
          this.pending.delete(watched);
          resolve(value);
        },
        (error: unknown) => {
          this.pending.delete(watched);
          reject(error);
        },
      );
    });
  }

  private readonly sweep = (): void => {
    const now = performance.now();
    for (const watched of this.pending) {
      if (watched.due > now) continue;
      this.pending.delete(watched);
      watched.reject(this.timeoutError());
    }
    this.timer = this.pending.size > 0 ? this.schedule() : undefined;
  };

  // Unreferenced: what keeps a watched call pending (a socket) keeps the process alive already.
  private schedule(): NodeJS.Timeout {
    return setTimeout(this.sweep, this.interval).unref();
  }
}
