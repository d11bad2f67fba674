/**
 * The SQS channel: the virtual base's hooks over the transport's requests, and long polling.
 *
 * Takes (`_get`) hand out what a long poll already received, else receive at once (`WaitTimeSeconds`
 * 0) up to the prefetch window, at most 10 (SQS's batch). When a round of takes found nothing, the
 * base waits in the store (`_getBlocking`): one long poll per consumed queue (`ReceiveMessage` with
 * `WaitTimeSeconds` = `wait_time_seconds`, 10 by default, as kombu), restarted as soon as it ends
 * empty, so an idle worker costs one request per queue every `wait_time_seconds`. Messages a poll
 * brings are buffered here and delivered by the next round, in the order SQS gave them.
 *
 * A long poll is never aborted (SQS may already have taken messages for it, which would then stay
 * hidden for the visibility timeout): cancelling a consumer or closing the channel lets pending polls
 * finish, and whatever they bring is given back (made visible again). So `close()` can take up to
 * `wait_time_seconds`.
 */
import { VirtualChannel, type ConsumeOptions, type DeliveryCallback, type Envelope, type QueueDeclaration, type TakenMessage } from '@cq/kombu';
import { SQS_BATCH_MAX } from './batcher.js';
import type { SqsTransport } from './transport.js';

export class SqsChannel extends VirtualChannel {
  declare protected readonly transport: SqsTransport;
  /** Received by long polls, not yet handed to the base, per queue. */
  private readonly buffered = new Map<string, TakenMessage[]>();
  /** Pending long polls per queue. */
  private readonly polls = new Map<string, Promise<void>>();
  /** A long poll's failure, reported by the next take of that queue (the base backs off on it). */
  private readonly failures = new Map<string, Error>();
  private readonly consuming = new Map<string, string>();
  private waiter: (() => void) | null = null;
  /** The prefetch window the base last offered: a long poll takes no more. */
  private room = SQS_BATCH_MAX;

  override async consume(queue: string, callback: DeliveryCallback, options: ConsumeOptions = {}): Promise<string> {
    const tag = await super.consume(queue, callback, options);
    this.consuming.set(tag, queue);
    return tag;
  }

  override async cancel(consumerTag: string): Promise<void> {
    const queue = this.consuming.get(consumerTag);
    this.consuming.delete(consumerTag);
    await super.cancel(consumerTag);
    if (queue !== undefined && !this.consumes(queue)) await this.giveBackBuffered(queue);
  }

  protected override async _newQueue(queue: QueueDeclaration): Promise<void> {
    await this.transport.queues.resolve(queue.name);
  }

  protected _put(queue: string, envelope: Envelope): Promise<void> {
    return this.transport.send(queue, envelope);
  }

  protected async _get(queue: string, max: number): Promise<TakenMessage[]> {
    this.room = max;
    const failure = this.failures.get(queue);
    if (failure !== undefined) {
      this.failures.delete(queue);
      throw failure;
    }
    const ready = this.buffered.get(queue);
    if (ready?.length) return ready.splice(0, max);
    if (this.polls.has(queue)) return []; // a long poll is on it; its messages come through the buffer
    return this.transport.receive(queue, Math.min(max, SQS_BATCH_MAX), 0);
  }

  /** Starts a long poll on each queue that has none, then waits for messages, `timeoutMs` or a wake-up. */
  protected override async _getBlocking(queues: readonly string[], timeoutMs: number): Promise<null> {
    if (this.transport.settings.waitTimeSeconds > 0) for (const queue of queues) this.startPoll(queue);
    if (queues.some((q) => (this.buffered.get(q)?.length ?? 0) > 0 || this.failures.has(q))) return null;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.waiter === done) this.waiter = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiter = done;
    });
    return null;
  }

  protected override _interruptBlocking(): void {
    this.waiter?.();
  }

  protected override _ack(_queue: string, taken: TakenMessage): Promise<void> {
    return this.transport.ack(taken);
  }

  /** Makes the message visible again (kombu: `ChangeMessageVisibility` 0). Never rejects. */
  protected override async _restore(_queue: string, taken: TakenMessage): Promise<void> {
    await this.transport.giveBack([taken]);
  }

  protected _purge(queue: string): Promise<number> {
    return this.transport.purge(queue);
  }

  protected _size(queue: string): Promise<number> {
    return this.transport.size(queue);
  }

  protected override async _delete(queue: string): Promise<void> {
    await this.giveBackBuffered(queue);
    await this.transport.deleteQueue(queue);
  }

  /** Lets pending long polls finish (what they bring is given back), then gives back the buffers. */
  protected override async onClose(): Promise<void> {
    this.waiter?.();
    await Promise.allSettled([...this.polls.values()]);
    for (const queue of [...this.buffered.keys()]) await this.giveBackBuffered(queue);
  }

  private consumes(queue: string): boolean {
    for (const q of this.consuming.values()) if (q === queue) return true;
    return false;
  }

  private startPoll(queue: string): void {
    if (this.polls.has(queue) || !this.isOpen || !this.consumes(queue)) return;
    const max = Math.max(1, Math.min(this.room, SQS_BATCH_MAX));
    const poll = this.transport.receive(queue, max, this.transport.settings.waitTimeSeconds).then(async (taken) => {
      this.polls.delete(queue);
      if (!this.isOpen || !this.consumes(queue)) return this.transport.giveBack(taken);
      if (taken.length === 0) {
        if (this.waiter) this.startPoll(queue); // still idle and waited on: poll again at once
        return;
      }
      let ready = this.buffered.get(queue);
      if (!ready) this.buffered.set(queue, (ready = []));
      ready.push(...taken);
      this.waiter?.();
    }, (err: unknown) => {
      this.polls.delete(queue);
      if (this.isOpen) this.failures.set(queue, err instanceof Error ? err : new Error(String(err)));
      this.waiter?.();
    });
    this.polls.set(queue, poll);
  }

  private async giveBackBuffered(queue: string): Promise<void> {
    const ready = this.buffered.get(queue);
    this.buffered.delete(queue);
    if (ready?.length) await this.transport.giveBack(ready);
  }
}
