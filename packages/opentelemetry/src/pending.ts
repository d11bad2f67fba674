/**
 * The publish spans open in this process, by task id: begun at `before_task_publish`, ended at
 * `after_task_publish` (Python keeps them on the task object under `(task_id, is_publish=True)`). At
 * most `limit` are kept: past it the oldest is ended as it is, so publishes that threw between the
 * two signals (no signal tells) cannot grow memory for ever.
 */
import type { Span } from '@opentelemetry/api';

export class PendingSpans<T extends { span: Span }> {
  private readonly entries = new Map<string, T>();

  /** @param limit spans kept at most (default 10,000). */
  constructor(private readonly limit = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** Keeps `entry` for `id`; an entry already there for `id` is ended and replaced. */
  set(id: string, entry: T): void {
    const previous = this.entries.get(id);
    if (previous) {
      this.entries.delete(id);
      previous.span.end();
    }
    this.entries.set(id, entry);
    if (this.entries.size > this.limit) {
      const [oldest, old] = this.entries.entries().next().value as [string, T];
      this.entries.delete(oldest);
      old.span.end();
    }
  }

  get(id: string): T | undefined {
    return this.entries.get(id);
  }

  /** Removes and returns the entry of `id`. */
  take(id: string): T | undefined {
    const entry = this.entries.get(id);
    if (entry) this.entries.delete(id);
    return entry;
  }

  /** Ends every span still kept and forgets them. */
  endAll(): void {
    for (const entry of this.entries.values()) entry.span.end();
    this.entries.clear();
  }
}
