/**
 * The Amazon SQS transport (kombu `kombu/transport/SQS.py`): a kombu virtual transport whose queues
 * are SQS queues, wire-compatible with kombu's, so Python Celery and cq share them.
 *
 * Features: kombu's queue names (`names.ts`) and bodies (base64 of the kombu JSON envelope, plain
 * JSON read too; `body.ts`); queues looked up before they are created, with kombu's attributes
 * (`queues.ts`); `predefined_queues` with per-queue credentials; FIFO queues with `MessageGroupId`
 * and `MessageDeduplicationId` (`publish.ts`); long polling and receives of up to 10 messages
 * (`channel.ts`); acks as `DeleteMessageBatch` and requeues as `ChangeMessageVisibilityBatch` to 0, up
 * to 10 per request (`batcher.ts`); countdowns/ETAs within 15 minutes as `DelaySeconds`; and, beyond
 * kombu, the visibility of unacked messages refreshed while they are held (`refresher.ts`), so a
 * long `acks_late` task is not delivered twice. A message received again (`ApproximateReceiveCount`
 * above 1) is flagged redelivered.
 *
 * What SQS cannot do: no fanout between processes (a fanout or topic exchange routes only to queues
 * bound in this process, as kombu's), so remote control, events to monitors, mingle and gossip are
 * off on SQS, as in Celery; no priorities; no per-message TTL. Standard queues deliver at least
 * once and only roughly in order; FIFO queues keep order per message group.
 *
 * URLs: `sqs://`, `sqs://KEY:SECRET@`, `sqs://KEY:SECRET@host:port`. Options: {@link SqsTransportOptions}.
 */
import { GetQueueAttributesCommand, DeleteQueueCommand, ListQueuesCommand, PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import {
  VirtualTransport, markRedelivered, type BrokerUrl, type Envelope, type TakenMessage, type TransportCapabilities, type TransportDefinition,
} from '@cq/kombu';
import { ReceiptBatcher, type Receipt } from './batcher.js';
import { decodeBody } from './body.js';
import { SqsChannel } from './channel.js';
import { SqsRequestError, isMissingQueue, toTransportError } from './errors.js';
import { resolveOptions, type SqsSettings, type SqsTransportOptions } from './options.js';
import { sendMessageInput } from './publish.js';
import { QueueDirectory, type QueueRef } from './queues.js';
import { VisibilityRefresher } from './refresher.js';

export class SqsTransport extends VirtualTransport<SqsChannel> {
  readonly driverType = 'sqs';
  readonly capabilities: TransportCapabilities = { priorityOrder: 'none', persistent: true, redeliversUnacked: true, fanout: false };
  /** URL and options as resolved (endpoint, region, timings in seconds); holds no secret in `where`. */
  readonly settings: SqsSettings;
  readonly queues: QueueDirectory;
  readonly batcher: ReceiptBatcher;
  readonly refresher: VisibilityRefresher;

  /**
   * @param url the parsed broker URL (`sqs://…`).
   * @throws ConfigurationError (kombu) for a bad option (see `options.ts`).
   */
  constructor(readonly url: BrokerUrl, options: SqsTransportOptions = {}) {
    super(options);
    this.settings = resolveOptions(url, options);
    this.queues = new QueueDirectory(this.settings);
    this.batcher = new ReceiptBatcher(this.settings.where);
    this.refresher = new VisibilityRefresher(this.batcher, this.settings.refreshInterval, this.settings.visibilityTimeout);
  }

  /** The endpoint, for messages (never a secret). */
  get where(): string {
    return this.settings.where;
  }

  /** Sends `envelope` to `queue` (see `publish.ts`). */
  async send(queue: string, envelope: Envelope): Promise<void> {
    await this.withQueue(queue, 'publishing', (ref) =>
      ref.client.send(new SendMessageCommand(sendMessageInput(ref.url, ref.fifo, envelope, this.settings.base64))));
  }

  /**
   * Receives up to `max` (≤ 10) messages from `queue`, waiting up to `waitSeconds` for the first.
   * Each is made invisible for `visibility_timeout` and kept so while held (see `refresher.ts`).
   */
  async receive(queue: string, max: number, waitSeconds: number): Promise<TakenMessage[]> {
    const { ref, messages } = await this.withQueue(queue, 'receiving', async (ref) => {
      const out = await ref.client.send(new ReceiveMessageCommand({
        QueueUrl: ref.url, MaxNumberOfMessages: max, WaitTimeSeconds: waitSeconds, VisibilityTimeout: this.settings.visibilityTimeout,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }));
      return { ref, messages: out.Messages ?? [] };
    });
    return messages.map((m) => this.taken(ref, m));
  }

  /** Deletes a taken message (an ack). */
  ack(taken: TakenMessage): Promise<void> {
    const receipt = taken.receipt as Receipt;
    this.refresher.forget(receipt);
    return this.batcher.delete(receipt);
  }

  /**
   * Makes taken messages visible again at once. Never rejects: a message that cannot be given back
   * comes back by itself when its visibility timeout ends (a warning says so).
   */
  async giveBack(taken: readonly TakenMessage[]): Promise<void> {
    await Promise.all(taken.map((t) => {
      const receipt = t.receipt as Receipt;
      this.refresher.forget(receipt);
      return this.batcher.changeVisibility(receipt, 0).catch((err: unknown) => {
        // Already visible again, or taken by another consumer: it is no longer ours to give back.
        if (err instanceof SqsRequestError && /ReceiptHandleIsInvalid|MessageNotInflight/.test(err.awsCode ?? '')) return;
        process.emitWarning(`sqs: could not give a message of ${receipt.ref.name} back (${String(err)}); it returns after its visibility timeout`, { code: 'CQ_SQS_RESTORE' });
      });
    }));
  }

  /** Messages ready in `queue` (`ApproximateNumberOfMessages`, as kombu). */
  async size(queue: string): Promise<number> {
    return this.withQueue(queue, 'counting messages', async (ref) => {
      const out = await ref.client.send(new GetQueueAttributesCommand({ QueueUrl: ref.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
      return Number(out.Attributes?.['ApproximateNumberOfMessages'] ?? 0);
    });
  }

  /** Purges `queue`; resolves with the number of messages it held (SQS allows one purge a minute per queue). */
  async purge(queue: string): Promise<number> {
    const size = await this.size(queue);
    await this.withQueue(queue, 'purging', (ref) => ref.client.send(new PurgeQueueCommand({ QueueUrl: ref.url })));
    return size;
  }

  /** Deletes the SQS queue (kombu 5.6); a predefined queue is left alone, as kombu leaves it. */
  async deleteQueue(queue: string): Promise<void> {
    if (this.queues.predefined) return;
    const ref = await this.queues.find(queue);
    this.queues.forget(queue);
    if (!ref) return;
    try {
      await ref.client.send(new DeleteQueueCommand({ QueueUrl: ref.url }));
    } catch (err) {
      if (!isMissingQueue(err)) throw toTransportError(err, `deleting queue ${ref.name}`, this.where);
    }
  }

  protected override defaultPollingInterval(): number {
    return 1; // kombu's SQS polling_interval; `wait_time_seconds` long polls make it matter little
  }

  protected override storeKey(): string {
    return `sqs:${this.settings.where}:${this.settings.region}:${this.settings.queueNamePrefix}`;
  }

  /** Checks the endpoint and credentials, as kombu's channel does with its first `ListQueues`. */
  protected override async establish(): Promise<void> {
    if (!this.queues.predefined) {
      try {
        await this.queues.client.send(new ListQueuesCommand({ ...(this.settings.queueNamePrefix ? { QueueNamePrefix: this.settings.queueNamePrefix } : {}), MaxResults: 1 }));
      } catch (err) {
        this.queues.destroy();
        throw toTransportError(err, 'connecting', this.where);
      }
    }
    this.refresher.start();
  }

  protected override async teardown(): Promise<void> {
    this.refresher.stop();
    try {
      await this.batcher.flush();
    } finally {
      this.queues.destroy();
    }
  }

  protected newChannel(): SqsChannel {
    return new SqsChannel(this);
  }

  /**
   * Runs `op` on the queue's URL; a queue found missing (deleted by someone else) is looked up, or
   * created, once more. Failures become kombu errors (see `errors.ts`).
   */
  private async withQueue<T>(queue: string, action: string, op: (ref: QueueRef) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const ref = await this.queues.resolve(queue);
      try {
        return await op(ref);
      } catch (err) {
        if (attempt === 0 && isMissingQueue(err) && !this.queues.predefined) {
          this.queues.forget(queue);
          continue;
        }
        throw toTransportError(err, `${action} on ${ref.name}`, this.where);
      }
    }
  }

  private taken(ref: QueueRef, message: Message): TakenMessage {
    const receipt: Receipt = { ref, handle: message.ReceiptHandle! };
    this.refresher.track(receipt);
    const envelope = decodeBody(message.Body ?? '');
    const received = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    return { envelope: received > 1 ? markRedelivered(envelope) : envelope, receipt };
  }
}

/** The registry entry for `sqs://` URLs. Throws ConfigurationError (kombu) for a bad option. */
export const transport: TransportDefinition = {
  name: 'sqs',
  create: (url, options) => new SqsTransport(url, options),
};
