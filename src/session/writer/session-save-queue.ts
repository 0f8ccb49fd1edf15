/**
 * One save waiting its turn on a session. `settled` is set once it was answered, by its group or
 * by its deadline, so that a queue never runs a save whose request has had its answer.
 */
export interface QueuedSave {
  settled: boolean;
  /** Whether it may share a turn with its neighbours (updates), or runs alone (deletes). */
  readonly coalesces: boolean;
}

/**
 * Runs the saves of each session key one turn at a time, in arrival order, so that saves of one
 * session from this process never race each other for its row: while one turn writes, the saves
 * that arrive wait, and the next turn takes all of them that coalesce, together.
 *
 * `state` is what the previous turn left of the row (its newest known version), so that a turn
 * builds on it without reading the row again; it is dropped when the queue empties.
 */
export class SessionSaveQueue<Save extends QueuedSave, State> {
  private readonly queues = new Map<string, { saves: Save[]; state: State | undefined }>();

  constructor(
    /** Runs one turn: `saves` in arrival order; resolves the row's state after it. Must not reject. */
    private readonly runTurn: (key: string, saves: Save[], state: State | undefined) => Promise<State | undefined>,
    /** The most saves one turn takes. */
    private readonly maxTurn: number,
  ) {}

  /** Queues `save` on `key`, starting a turn at once when none is running. */
  add(key: string, save: Save): void {
    const queue = this.queues.get(key);
    if (queue) {
      queue.saves.push(save);
      return;
    }
    const started = { saves: [save], state: undefined };
    this.queues.set(key, started);
    void this.drain(key, started);
  }

  /** How many sessions have saves queued or under way. */
  get size(): number {
    return this.queues.size;
  }

  private async drain(key: string, queue: { saves: Save[]; state: State | undefined }): Promise<void> {
    while (queue.saves.length > 0) {
      const turn = this.nextTurn(queue.saves);
      if (turn.length > 0) queue.state = await this.runTurn(key, turn, queue.state);
    }
    this.queues.delete(key);
  }

  /** Takes the next turn off `saves`: the first save, and when it coalesces, those after it that do too. */
  private nextTurn(saves: Save[]): Save[] {
    const turn: Save[] = [];
    while (saves.length > 0 && turn.length < this.maxTurn) {
      const save = saves[0];
      if (save.settled) {
        saves.shift();
        continue;
      }
      if (turn.length > 0 && !(save.coalesces && turn[0].coalesces)) break;
      turn.push(saves.shift()!);
      if (!save.coalesces) break;
    }
    return turn;
  }
}
