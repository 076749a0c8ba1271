export interface BatchOptions {
  /** Largest batch handed to the model. */
  maxBatch: number;
  /** Longest an item waits for companions before a partial batch runs. */
  maxWaitMs: number;
  /** Sizes that run most efficiently; a partial batch that reaches one runs without waiting. */
  preferredSizes?: number[];
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
  at: number;
}

/**
 * Triton-style dynamic batching: callers submit single items and await single results; items are
 * grouped into one `run` call of at most `maxBatch`, flushed when full, when a preferred size is
 * reached, or when the oldest item has waited `maxWaitMs`. One batch runs at a time, and the next
 * one fills while it runs, so the model never waits for downloads and decodes.
 */
export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatchOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (options.maxBatch < 1) throw new Error('maxBatch must be at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject, at: this.now() });
      this.schedule();
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const full = this.queue.length >= this.options.maxBatch;
    const preferred = this.options.preferredSizes?.includes(this.queue.length) ?? false;
    const waited = this.now() - this.queue[0].at;
    if (full || preferred || waited >= this.options.maxWaitMs) {
      this.clearTimer();
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, this.options.maxWaitMs - waited);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running = true;
    try {
      const out = await this.run(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new Error(`batch returned ${out.length} results for ${batch.length} items`);
      batch.forEach((p, i) => p.resolve(out[i]));
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
