/**
 * Queue names to queue URLs, and the SQS clients that reach them. As kombu's `_new_queue`: a queue is
 * looked up before it is created (a `CreateQueue` with other attributes on an existing queue fails
 * with `QueueNameExists`), and created with kombu's attributes, `VisibilityTimeout` =
 * `visibility_timeout`, `FifoQueue: 'true'` for a `.fifo` name, plus `sqs-creation-attributes`.
 * URLs are cached per transport. With `predefined_queues`, nothing is looked up or created: the
 * queue must be listed there (kombu's `UndefinedQueueException`), with its own credentials if given.
 *
 * cq looks a name up with `GetQueueUrl` (exact) where kombu lists queues by prefix; the outcome is
 * the same.
 */
import { CreateQueueCommand, GetQueueUrlCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { SqsUndefinedQueueError, isMissingQueue, toTransportError } from './errors.js';
import { canonicalQueueName, isFifoName } from './names.js';
import type { SqsSettings } from './options.js';

/** A resolved queue: what every request about it needs. */
export interface QueueRef {
  /** The kombu queue name (the routing target). */
  readonly queue: string;
  /** The SQS queue name. */
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
  readonly client: SQSClient;
}

export class QueueDirectory {
  private readonly refs = new Map<string, Promise<QueueRef>>();
  /** By region, then by credentials object (each resolved once, so identity tells them apart). */
  private readonly clients = new Map<string, Map<unknown, SQSClient>>();

  constructor(private readonly settings: SqsSettings) {}

  /** The default client (the URL's or the chain's credentials, the transport's region). */
  get client(): SQSClient {
    return this.clientFor(this.settings.region, this.settings.credentials);
  }

  /**
   * The queue `queue` (kombu name), created if it does not exist (unless predefined).
   * @throws SqsUndefinedQueueError with predefined queues; kombu TransportErrors from SQS.
   */
  resolve(queue: string): Promise<QueueRef> {
    let ref = this.refs.get(queue);
    if (!ref) {
      ref = this.lookup(queue, true).then((r) => r!);
      this.refs.set(queue, ref);
      ref.catch(() => this.refs.delete(queue));
    }
    return ref;
  }

  /** The queue if it exists (no creation); null when it does not. */
  async find(queue: string): Promise<QueueRef | null> {
    const cached = this.refs.get(queue);
    if (cached) return cached.catch(() => null);
    return this.lookup(queue, false);
  }

  /** Forgets the cached URL of `queue` (deleted, or found missing). */
  forget(queue: string): void {
    this.refs.delete(queue);
  }

  /** Whether queues come from `predefined_queues` only. */
  get predefined(): boolean {
    return this.settings.predefined !== null;
  }

  /** Destroys every client (their sockets). */
  destroy(): void {
    for (const byCredentials of this.clients.values()) for (const client of byCredentials.values()) client.destroy();
    this.clients.clear();
    this.refs.clear();
  }

  private async lookup(queue: string, create: boolean): Promise<QueueRef | null> {
    const s = this.settings;
    const name = canonicalQueueName(s.queueNamePrefix, queue);
    const fifo = isFifoName(name);
    if (s.predefined) {
      const q = s.predefined.get(name) ?? s.predefined.get(queue);
      if (!q) {
        throw new SqsUndefinedQueueError(`sqs queue ${JSON.stringify(queue)} (SQS name ${JSON.stringify(name)}) must be defined in ` +
          'predefined_queues: add it there with its url, or drop predefined_queues to let cq create queues');
      }
      return { queue, name, url: q.url, fifo: q.fifo, client: this.clientFor(q.region, q.credentials) };
    }
    const client = this.client;
    const found = await this.queueUrl(client, name);
    if (found) return { queue, name, url: found, fifo, client };
    if (!create) return null;
    const attributes: Record<string, string> = { VisibilityTimeout: String(s.visibilityTimeout), ...(fifo ? { FifoQueue: 'true' } : {}), ...s.creationAttributes };
    try {
      const out = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      return { queue, name, url: out.QueueUrl!, fifo, client };
    } catch (err) {
      // Created meanwhile by another process, with other attributes: use it as it is.
      if (/QueueNameExists|QueueAlreadyExists/.test(String((err as { name?: string }).name))) {
        const raced = await this.queueUrl(client, name);
        if (raced) return { queue, name, url: raced, fifo, client };
      }
      throw toTransportError(err, `creating queue ${name}`, s.where);
    }
  }

  private async queueUrl(client: SQSClient, name: string): Promise<string | null> {
    try {
      return (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? null;
    } catch (err) {
      if (isMissingQueue(err)) return null;
      throw toTransportError(err, `looking up queue ${name}`, this.settings.where);
    }
  }

  private clientFor(region: string, credentials: SQSClientConfig['credentials'] | undefined): SQSClient {
    let byCredentials = this.clients.get(region);
    if (!byCredentials) this.clients.set(region, (byCredentials = new Map<unknown, SQSClient>()));
    let client = byCredentials.get(credentials);
    if (!client) {
      const s = this.settings;
      client = new SQSClient({ region, tls: s.tls, ...(s.endpoint ? { endpoint: s.endpoint } : {}), ...(credentials ? { credentials } : {}) });
      byCredentials.set(credentials, client);
    }
    return client;
  }
}
