const MAX_INTERVAL_MS = 50;

/** A watched call, linked in start order (which is deadline order: every call gets the same timeout). */
interface Watched {
  due: number;
  reject(error: Error): void;
  /** The error for this call when late, instead of the watch's own. */
  late: (() => Error) | undefined;
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
    this.interval = Math.max(1, Math.min(MAX_INTERVAL_MS, Math.ceil(timeoutMs / 8)));
  }

  /**
   * `promise`, or a rejection with `late()` (default `timeoutError()`) if it has not settled in
   * time. `late` runs when the time is up, so it can also stop what the promise waits for.
   */
  watch<T>(promise: Promise<T>, late?: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const watched = this.append(reject, late);
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

  private append(reject: (error: Error) => void, late: (() => Error) | undefined): Watched {
    const watched: Watched = {
      due: performance.now() + this.timeoutMs,
      reject,
      late,
      previous: this.newest,
      next: undefined,
    };
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
      late.reject(late.late ? late.late() : this.timeoutError());
    }
    this.timer = this.oldest ? this.schedule() : undefined;
  };

  // Unreferenced: what keeps a watched call pending (a socket) keeps the process alive already.
  private schedule(): NodeJS.Timeout {
    return setTimeout(this.sweep, this.interval).unref();
  }
}
