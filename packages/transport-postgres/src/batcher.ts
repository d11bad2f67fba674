/**
 * Group commit: items added while a batch is being written go into the next batch, so a busy
 * publisher pays one round trip per batch and an idle one waits for nothing but the current tick.
 */
interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Collects items and hands them to `write` in batches of at most `max`, one batch at a time. */
export class Batcher<T> {
  private pending: Pending<T>[] = [];
  private running: Promise<void> | null = null;

  /** @param write writes one batch; its rejection rejects every `add` of that batch. */
  constructor(private readonly write: (items: T[]) => Promise<void>, private readonly max: number) {}

  /** Queues `item`; resolves once the batch holding it was written. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.running ??= new Promise<void>((r) => setImmediate(r)).then(() => this.drain());
    });
  }

  /** Resolves once nothing is pending or being written. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.max);
        try {
          await this.write(batch.map((p) => p.item));
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.running = null;
    }
  }
}
