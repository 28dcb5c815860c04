// One Temporal call per incident at a time. In a storm, every alert for `rollback-<env>-<service>`
// would be its own signal-with-start: a server round trip, a history event and a workflow task
// each, all contending for the same workflow. Instead, while a call for a key is in flight, later
// items for that key wait and go together in the next call. A lone alert goes at once (nothing
// lingers), and the slower the server, the bigger the batches, so the calls in flight stay at one
// per incident. Each caller's promise settles with its own batch's call: a 202 still means the
// alert is in Temporal, and a failed call fails every request whose alert it carried.

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

interface Lane<T, R> {
  waiting: Waiting<T, R>[];
}

export class Coalescer<T, R> {
  private readonly lanes = new Map<string, Lane<T, R>>();

  /** `send` delivers one batch (1 to `maxBatch` items, in arrival order) for one key. */
  constructor(
    private readonly send: (key: string, items: T[]) => Promise<R>,
    private readonly maxBatch: number,
  ) {
    if (!(maxBatch >= 1)) throw new RangeError(`maxBatch: must be 1 or more, got ${maxBatch}`);
  }

  /** Settles when the call that carried `item` settles, with its result or its error. */
  submit(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const lane = this.lanes.get(key);
      if (lane) {
        lane.waiting.push({ item, resolve, reject });
        return;
      }
      const fresh: Lane<T, R> = { waiting: [{ item, resolve, reject }] };
      this.lanes.set(key, fresh);
      void this.drain(key, fresh);
    });
  }

  /** Keys with a call in flight (for tests and metrics). */
  get inFlight(): number {
    return this.lanes.size;
  }

  private async drain(key: string, lane: Lane<T, R>): Promise<void> {
    while (lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0, this.maxBatch);
      try {
        const result = await this.send(
          key,
          batch.map((w) => w.item),
        );
        for (const w of batch) w.resolve(result);
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.lanes.delete(key);
  }
}
