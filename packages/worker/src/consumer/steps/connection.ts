/**
 * Connection step (Celery `celery/worker/consumer/connection.py`): opens the broker connection and the
 * channel the other consumer steps use (`c.connection`, `c.channel`), and closes them at `shutdown`,
 * after every step stopped, so running tasks can still ack while the worker drains.
 */
import { isInvalidMessageSink, redact } from '@cq/kombu';
import { Step } from '../../bootsteps.js';
import type { Consumer } from '../consumer.js';

export class ConnectionStep extends Step<Consumer> {
  static override readonly label = 'Connection';

  override async start(c: Consumer): Promise<void> {
    c.connection = c.app.connection();
    c.channel = await c.connection.channel();
    // Stored entries that are not messages (a Redis list item, a SQLite row) are reported through the
    // worker's rate-limited bad-message log, with the other bad messages.
    const transport = c.connection.transport;
    const log = c.worker.badMessages;
    if (isInvalidMessageSink(transport)) {
      transport.onInvalidMessage = (r) => log.report('error', `Stored entry of queue ${r.queue} is not a message, ${r.outcome}: ${r.reason}`);
    }
  }

  override async shutdown(c: Consumer): Promise<void> {
    const { connection, channel } = c;
    c.connection = null;
    c.channel = null;
    // Closing the channel first is a round trip after the last acks: RabbitMQ may drop an ack still
    // in flight when the whole connection closes at once (its unacked messages would be redelivered).
    await channel?.close().catch(() => undefined);
    await connection?.close();
    c.worker.badMessages.flush();
  }

  override info(c: Consumer): Record<string, unknown> {
    return { broker: redact(c.app.broker.url) };
  }
}
