/**
 * The bounded fire-and-forget queue between a failing task and the network: `push` returns at once
 * (the task path never waits for SMTP or HTTP), at most `concurrency` sends run at a time, and at most
 * `limit` wait or run. A job pushed to a full queue is dropped and counted, never queued without
 * bound; `onFull` hears when the queue fills and when it has room again (with the count dropped).
 * A job's rejection is its own business: it must catch and report; the queue only keeps going.
 */

export interface SendQueueOptions {
  /** Jobs waiting or running at most. Default 100. */
  limit?: number;
  /** Jobs running at once. Default 2. */
  concurrency?: number;
  /** Called with `dropped: 0` when the queue fills, and with the count dropped when it has room again. */
  onFull?: (full: boolean, dropped: number) => void;
}

type Job = () => Promise<void>;

export class SendQueue {
  readonly limit: number;
  readonly concurrency: number;
  private readonly waiting: Job[] = [];
  private running = 0;
  private full = false;
  private droppedWhileFull = 0;
  private idle: Array<() => void> = [];
  /** Jobs dropped because the queue was full, in total. */
  dropped = 0;

  constructor(private readonly options: SendQueueOptions = {}) {
    this.limit = Math.max(1, options.limit ?? 100);
    this.concurrency = Math.max(1, options.concurrency ?? 2);
  }

  /** Jobs waiting or running. */
  get pending(): number {
    return this.waiting.length + this.running;
  }

  /** Queues `job`; false when it was dropped (the queue is full). Never throws, never waits. */
  push(job: Job): boolean {
    if (this.pending >= this.limit) {
      this.dropped += 1;
      this.droppedWhileFull += 1;
      if (!this.full) {
        this.full = true;
        this.options.onFull?.(true, 0);
      }
      return false;
    }
    this.waiting.push(job);
    this.next();
    return true;
  }

  /** Resolves true once nothing is pending, or false after `timeoutMs` with jobs still pending. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    let done: (() => void) | undefined;
    const idle = new Promise<boolean>((resolve) => {
      done = () => resolve(true);
      this.idle.push(done);
    });
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, late]);
    } finally {
      clearTimeout(timer);
      this.idle = this.idle.filter((f) => f !== done);
    }
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running += 1;
      void Promise.resolve()
        .then(job)
        .catch(() => undefined)
        .finally(() => {
          this.running -= 1;
          this.settled();
        });
    }
  }

  private settled(): void {
    if (this.full && this.pending < this.limit) {
      this.full = false;
      const dropped = this.droppedWhileFull;
      this.droppedWhileFull = 0;
      this.options.onFull?.(false, dropped);
    }
    this.next();
    if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}
