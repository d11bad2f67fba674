/**
 * Keeps delivered, unacked messages invisible (cq's; kombu has no such thing). Every
 * `visibility_refresh_interval` seconds, each message this process received and has not yet acked
 * or given back gets its visibility set to `visibility_timeout` from now (batched, see
 * `batcher.ts`). So an `acks_late` task that runs past the visibility timeout, an ETA task held by
 * the worker, or a prefetched message waiting its turn is not delivered to another worker; when the
 * process dies, the refreshes stop and the message comes back within `visibility_timeout`.
 *
 * SQS caps a message's total invisibility at 12 hours from its first receive: past that, refreshes
 * fail and the message becomes visible again (a warning says so).
 */
import { TransportError } from '@cq/kombu';
import type { Receipt, ReceiptBatcher } from './batcher.js';

export class VisibilityRefresher {
  private readonly held = new Map<string, Receipt>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  /**
   * @param intervalSeconds seconds between refreshes; 0 = never (then it only tracks nothing).
   * @param visibilityTimeout seconds each refresh gives.
   */
  constructor(private readonly batcher: ReceiptBatcher, readonly intervalSeconds: number, readonly visibilityTimeout: number) {}

  /** Starts the timer (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.intervalSeconds <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.held.clear();
  }

  /** A timed refresh; one still running (SQS slow to answer) is not doubled. */
  private tick(): void {
    if (this.running) return;
    this.running = this.refresh().finally(() => { this.running = null; });
  }

  /** Starts refreshing a received message. */
  track(receipt: Receipt): void {
    if (this.intervalSeconds > 0) this.held.set(receipt.handle, receipt);
  }

  /** Stops refreshing it (acked, or given back). */
  forget(receipt: Receipt): void {
    this.held.delete(receipt.handle);
  }

  /** Number of messages being kept invisible. */
  get size(): number {
    return this.held.size;
  }

  /**
   * One refresh of every held message now (also what the timer runs). Never rejects: a message SQS
   * refuses to refresh (its receipt expired, the 12-hour cap) is dropped with a warning; while SQS
   * is unreachable, messages are kept for the next refresh.
   */
  async refresh(): Promise<void> {
    const receipts = [...this.held.values()];
    await Promise.all(receipts.map((r) => this.batcher.changeVisibility(r, this.visibilityTimeout).catch((err: unknown) => {
      if (!this.held.has(r.handle)) return; // acked meanwhile: nothing lost
      if (err instanceof TransportError && err.recoverable) return; // SQS unreachable: the next refresh tries again
      this.held.delete(r.handle);
      process.emitWarning(`sqs: could not keep a message of ${r.ref.name} invisible (${String(err)}); it may be delivered again`, { code: 'CQ_SQS_REFRESH' });
    })));
  }
}
