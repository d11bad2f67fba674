/**
 * Collects the task rows stored during one event-loop turn and writes them together
 * ({@link SqlDialect.storeTasks}): one transaction on SQLite, one multi-row upsert on PostgreSQL, so a
 * worker finishing a hundred tasks in a turn pays for one commit, not a hundred. Each caller still
 * learns whether its own row was written (false when the stored status was SUCCESS).
 *
 * A batch holds distinct task ids (an upsert cannot touch one row twice); a second row of an id
 * already in the batch goes into the next batch, so writes of one id keep their order.
 */
import type { TaskRow } from './model.js';

interface Pending {
  row: TaskRow;
  resolve(written: boolean): void;
  reject(err: unknown): void;
}

/** Writes a batch of rows with distinct ids; resolves with which were written, in order. */
export type WriteRows = (rows: readonly TaskRow[]) => Promise<boolean[]>;

export class StoreBatch {
  #pending: Pending[] = [];
  #scheduled = false;

  /** @param write writes one batch; `maxRows` caps a batch (statement parameter limits). */
  constructor(private readonly write: WriteRows, private readonly maxRows = 500) {}

  /** Queues `row` for the end of this turn; resolves true when it was written. */
  add(row: TaskRow): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => { void this.flush(); });
      }
    });
  }

  private async flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    while (pending.length > 0) {
      const batch = takeDistinct(pending, this.maxRows);
      try {
        const written = await this.write(batch.map((p) => p.row));
        batch.forEach((p, i) => p.resolve(written[i] ?? false));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }
}

/** Removes and returns the longest prefix of `pending` with distinct task ids, at most `max` long. */
function takeDistinct(pending: Pending[], max: number): Pending[] {
  const seen = new Set<string>();
  let n = 0;
  while (n < pending.length && n < max && !seen.has(pending[n]!.row.task_id)) {
    seen.add(pending[n]!.row.task_id);
    n += 1;
  }
  return pending.splice(0, n);
}
