/**
 * Queue lengths from the broker (Flower `/api/queues/length`, cq's `cq_queue_length` metric): the
 * queues the workers consume (their `active_queues`), else the app's default queues, each declared
 * as Celery declares it on a channel of its own and its ready messages counted. A queue the broker
 * refuses to declare (other arguments on AMQP) counts 0.
 */
import type { Celery, Connection } from '@cq/celery';
import type { QueueLength } from './metrics.js';
import type { EventStore } from './store/event-store.js';

export class QueueLengths {
  private connection: Connection | null = null;

  constructor(private readonly app: Celery, private readonly store: EventStore) {}

  /** Names of the queues the known workers consume, else of the app's default queues; sorted. */
  async names(): Promise<string[]> {
    const names = new Set<string>();
    for (const worker of await this.store.workers()) {
      const queues = worker.info?.['active_queues'];
      if (Array.isArray(queues)) for (const q of queues as { name?: unknown }[]) if (typeof q.name === 'string') names.add(q.name);
    }
    if (names.size === 0) for (const q of this.app.defaultQueues()) names.add(q.name);
    return [...names].sort();
  }

  /**
   * `[{ name, messages }]` for `names` (default {@link names}), in that order.
   * @throws a kombu TransportError when the broker is unreachable.
   */
  async lengths(names?: readonly string[]): Promise<QueueLength[]> {
    this.connection ??= this.app.connection();
    if (!this.connection.isConnected) await this.connection.connect();
    const out: QueueLength[] = [];
    for (const name of names ?? (await this.names())) {
      const channel = await this.connection.channel();
      try {
        const { messageCount } = await channel.declareQueue(this.app.queue(name).toDeclaration());
        out.push({ name, messages: messageCount });
      } catch {
        out.push({ name, messages: 0 });
      } finally {
        await channel.close().catch(() => undefined);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    const conn = this.connection;
    this.connection = null;
    await conn?.close().catch(() => undefined);
  }
}
