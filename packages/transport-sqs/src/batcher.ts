/**
 * Acks and visibility changes sent in batches, as SQS allows: `DeleteMessageBatch` and
 * `ChangeMessageVisibilityBatch`, up to 10 entries each, per queue. Everything added in one turn of
 * the event loop goes out together (a busy worker acks many messages per turn); each caller gets
 * its own entry's outcome. kombu sends one `DeleteMessage` per ack.
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { SqsRequestError, toTransportError } from './errors.js';
import type { QueueRef } from './queues.js';

/** A received message's handle on its queue. */
export interface Receipt {
  readonly ref: QueueRef;
  readonly handle: string;
}

type Op = 'delete' | 'visibility';

interface Entry {
  handle: string;
  timeout: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Most entries SQS takes in one batch request. */
export const SQS_BATCH_MAX = 10;

export class ReceiptBatcher {
  private readonly pending = new Map<string, { op: Op; ref: QueueRef; entries: Entry[] }>();
  private readonly inflight = new Set<Promise<void>>();
  private scheduled = false;

  /** @param where the endpoint, for error messages. */
  constructor(private readonly where: string) {}

  /** Deletes the message (an ack). Rejects with a kombu TransportError for this entry. */
  delete(receipt: Receipt): Promise<void> {
    return this.add('delete', receipt, 0);
  }

  /** Sets the message's visibility timeout to `seconds` from now (0 = visible again at once). */
  changeVisibility(receipt: Receipt, seconds: number): Promise<void> {
    return this.add('visibility', receipt, seconds);
  }

  /** Sends what is pending now and resolves once every request in flight has settled. */
  async flush(): Promise<void> {
    this.send();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private add(op: Op, receipt: Receipt, timeout: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const key = `${op}\n${receipt.ref.url}`;
      let batch = this.pending.get(key);
      if (!batch) this.pending.set(key, (batch = { op, ref: receipt.ref, entries: [] }));
      batch.entries.push({ handle: receipt.handle, timeout, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.send());
      }
    });
  }

  private send(): void {
    this.scheduled = false;
    const batches = [...this.pending.values()];
    this.pending.clear();
    for (const { op, ref, entries } of batches) {
      for (let i = 0; i < entries.length; i += SQS_BATCH_MAX) {
        const request = this.request(op, ref, entries.slice(i, i + SQS_BATCH_MAX));
        this.inflight.add(request);
        void request.finally(() => this.inflight.delete(request));
      }
    }
  }

  private async request(op: Op, ref: QueueRef, entries: Entry[]): Promise<void> {
    const action = op === 'delete' ? 'deleting acked messages' : 'changing message visibility';
    let failed: Array<{ Id?: string; Code?: string; Message?: string }> = [];
    try {
      const out = op === 'delete'
        ? await ref.client.send(new DeleteMessageBatchCommand({ QueueUrl: ref.url, Entries: entries.map((e, i) => ({ Id: String(i), ReceiptHandle: e.handle })) }))
        : await ref.client.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: ref.url, Entries: entries.map((e, i) => ({ Id: String(i), ReceiptHandle: e.handle, VisibilityTimeout: e.timeout })),
        }));
      failed = out.Failed ?? [];
    } catch (err) {
      const wrapped = toTransportError(err, `${action} on ${ref.name}`, this.where);
      for (const e of entries) e.reject(wrapped);
      return;
    }
    const failures = new Map(failed.map((f) => [f.Id, f]));
    entries.forEach((e, i) => {
      const f = failures.get(String(i));
      if (!f) return e.resolve();
      e.reject(new SqsRequestError(`sqs ${this.where} failed while ${action} on ${ref.name}: ${f.Code ?? 'Error'}: ${f.Message ?? ''}`, { ...(f.Code ? { awsCode: f.Code } : {}) }));
    });
  }
}
