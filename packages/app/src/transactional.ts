/**
 * Enqueueing inside the caller's database transaction (cq, beyond Celery; as Graphile Worker and
 * pg-boss do): `sendTask(…, { transaction: client })` writes the task message through the caller's
 * client, so it commits or rolls back with the caller's own writes and workers wake only on commit.
 *
 * The app asks its publishing channel for @cq/kombu's `TransactionalPublisher` capability through
 * `isTransactionalPublisher` (the PostgreSQL transport offers it); any other broker fails before
 * anything is sent, with {@link TransactionUnsupportedError} naming the fix. Queues are declared
 * on the app's own connection first (a declaration needs no transaction); the message is then
 * prepared as the producer prepares it (serializer, compression, properties) and handed to
 * `publishIn`. No publish retry: a failed statement aborts the caller's transaction anyway.
 */
import {
  isTransactionalPublisher, maybeDeclare, redact, type Channel, type Producer, type PublishOptions, type TransactionClient,
  type TransactionalPublisher,
} from '@cq/kombu';
import { TransactionUnsupportedError } from './errors.js';

/**
 * `channel` as a transactional publisher.
 * @throws TransactionUnsupportedError when the broker at `brokerUrl` cannot enqueue in a transaction.
 */
export function transactionalChannel(channel: Channel, brokerUrl: string): Channel & TransactionalPublisher {
  if (isTransactionalPublisher(channel)) return channel;
  throw new TransactionUnsupportedError(
    `transactional enqueue needs the postgresql:// broker (@cq/transport-postgres), not ${redact(brokerUrl)}; `
    + 'for Redis/RabbitMQ use an outbox: write the task into an outbox table in your PostgreSQL transaction '
    + '(enqueueInOutbox) and relay it to the broker (relayOutbox, both in @cq/transport-postgres)',
  );
}

/**
 * Publishes `body` as `producer.publish` would, but through `client` (in the caller's transaction
 * when one is open on it). `exchange` and `routingKey` are the resolved route. Rejects with the
 * transport's kombu errors, or EncodeError before anything is written.
 */
export async function publishInTransaction(
  producer: Producer, channel: TransactionalPublisher, client: TransactionClient, body: unknown,
  options: PublishOptions & { exchange: string; routingKey: string },
): Promise<void> {
  const message = producer.prepare(body, options);
  for (const entity of options.declare ?? []) await maybeDeclare(entity, producer.channel);
  await channel.publishIn(client, message, options.exchange, options.routingKey);
}
