/** A watched call, linked in start order (which is deadline order: every call gets the same timeout). */
interface Watched {
  due: number;
  reject(error: Error): void;
  previous: Watched | undefined;
  next: Watched | undefined;
}

/**
 * Fails the promises it watches that are still pending `timeoutMs` after they started, with one
 * timer for all of them rather than one per call: a store call on the request path then costs a
 * list entry instead of a timer, a timeout promise and a race. A late promise fails between
 * `timeoutMs` and an eighth of it later.
 */
export class DeadlineWatch {
  // Oldest first: the sweep stops at the first call whose deadline has not come.
  private oldest: Watched | undefined;
  private newest: Watched | undefined;
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
      const watched = this.append(reject);
      this.timer ??= this.schedule();
      promise.then(
        (value) => {
          this.remove(watched);
          resolve(value);
        },
        (error: unknown) => {
          this.remove(watched);
          reject(error);
        },
      );
    });
  }

  private append(reject: (error: Error) => void): Watched {
    const watched: Watched = { due: performance.now() + this.timeoutMs, reject, previous: this.newest, next: undefined };
    if (this.newest) this.newest.next = watched;
    else this.oldest = watched;
    this.newest = watched;
    return watched;
  }

  private remove(watched: Watched): void {
    if (watched.previous) watched.previous.next = watched.next;
    else if (this.oldest === watched) this.oldest = watched.next;
    else return; // removed already: it timed out
    if (watched.next) watched.next.previous = watched.previous;
    else this.newest = watched.previous;
    watched.previous = watched.next = undefined;
  }

  private readonly sweep = (): void => {
    const now = performance.now();
    while (this.oldest && this.oldest.due <= now) {
      const late = this.oldest;
      this.remove(late);
      late.reject(this.timeoutError());
    }
    this.timer = this.oldest ? this.schedule() : undefined;
  };

  // Unreferenced: what keeps a watched call pending (a socket) keeps the process alive already.
  private schedule(): NodeJS.Timeout {
    return setTimeout(this.sweep, this.interval).unref();
  }
}
