interface Waiting<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Gathers the calls made during one turn of the event loop and runs them together, in groups of
 * at most `maxBatch`, once the turn's I/O callbacks are done (`setImmediate`).
 *
 * Under load, a turn reads many requests off their sockets before it yields; their session
 * lookups then cost one database round trip instead of one each — fewer statements to send,
 * parse and answer, on both sides of the connection. A lone request waits for nothing but the
 * end of its own turn.
 */
export class TurnBatcher<I, O> {
  private waiting: Waiting<I, O>[] = [];

  /**
   * @param runBatch Runs a group of inputs and resolves one output per input, in order. A
   *   rejection rejects every call of the group.
   */
  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
  ) {}

  /** Queues `input` for the end of this turn; resolves its own output. */
  add(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.waiting.push({ input, resolve, reject }) === 1) setImmediate(this.flush);
    });
  }

  private readonly flush = (): void => {
    const waiting = this.waiting;
    this.waiting = [];
    for (let start = 0; start < waiting.length; start += this.maxBatch) {
      void this.run(waiting.slice(start, start + this.maxBatch));
    }
  };

  private async run(group: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.runBatch(group.map((call) => call.input));
      group.forEach((call, index) => call.resolve(outputs[index]));
    } catch (error) {
      for (const call of group) call.reject(error);
    }
  }
}
