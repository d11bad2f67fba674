/**
 * The run spans open in this process. Python keys them by task id; here a task id can have two
 * runs open at once (a retry with no countdown can start on this worker before the run that sent
 * it has reached task_postrun), so each run is found by its request object (task_prerun,
 * task_postrun, task_retry, task_revoked and the invoke wrapper carry it) and, where a signal gives
 * only the id (task_failure, a publish naming it), as the latest run of that id.
 */
import type { Context, Span } from '@opentelemetry/api';
import type { TaskRequest } from '@cq/app';

export interface RunEntry {
  span: Span;
  /** The context extracted from the message with the run span set: what the task function runs in. */
  context: Context;
  request: TaskRequest;
}

export class RunSpans {
  private readonly byId = new Map<string, RunEntry[]>();
  private count = 0;

  /** @param limit runs kept at most (default 10,000); past it the oldest is ended as it is. */
  constructor(private readonly limit = 10_000) {}

  get size(): number {
    return this.count;
  }

  add(entry: RunEntry): void {
    const id = entry.request.id;
    const list = this.byId.get(id);
    if (list) list.push(entry);
    else this.byId.set(id, [entry]);
    this.count += 1;
    if (this.count > this.limit) {
      const [oldestId, oldest] = this.byId.entries().next().value as [string, RunEntry[]];
      const dropped = oldest.shift()!;
      if (oldest.length === 0) this.byId.delete(oldestId);
      this.count -= 1;
      dropped.span.end();
    }
  }

  /** The run of `request` (the same object task_prerun gave), else the latest run of its id. */
  of(request: TaskRequest): RunEntry | undefined {
    const list = this.byId.get(request.id);
    return list?.find((e) => e.request === request) ?? list?.at(-1);
  }

  /** The latest run of task `id`. */
  latest(id: string): RunEntry | undefined {
    return this.byId.get(id)?.at(-1);
  }

  /** Removes and returns the run of `request` (see {@link of}). */
  take(request: TaskRequest): RunEntry | undefined {
    const entry = this.of(request);
    if (!entry) return undefined;
    const list = this.byId.get(request.id)!;
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.byId.delete(request.id);
    this.count -= 1;
    return entry;
  }

  /** Ends every span still kept and forgets them. */
  endAll(): void {
    for (const list of this.byId.values()) for (const entry of list) entry.span.end();
    this.byId.clear();
    this.count = 0;
  }
}
