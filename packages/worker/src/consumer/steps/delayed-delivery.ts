/**
 * DelayedDelivery step (Celery 5.5 `celery/worker/consumer/delayed_delivery.py`): when the app uses a
 * quorum queue on RabbitMQ, declares kombu's native delayed delivery topology — the delay exchanges
 * and queues `celery_delayed_0` … `celery_delayed_27` of type `broker_native_delayed_delivery_queue_type`
 * and the exchange `celery_delayed_delivery` — and binds every queue of the app to it, so countdown
 * and ETA tasks wait in the broker and reach their queue when due (see @cq/transport-amqp's
 * native-delayed-delivery.ts for the layout). The names are Celery's: cq and Python workers share them.
 *
 * Runs after the Tasks step, on a channel of its own (a refused declaration closes only that one),
 * before the worker reports ready. Queues behind a direct exchange cannot take delayed messages: each
 * is named in a warning and its ETA tasks are held by the worker, as in Celery. A declaration or
 * binding the broker refuses is logged and the worker goes on (Celery logs and goes on too); an
 * invalid `broker_native_delayed_delivery_queue_type` stops the start with ImproperlyConfigured.
 */
import { checkQueueType, detectQuorumQueues } from '@cq/app';
import { isNativeDelayedDelivery, maybeDeclare, parseUrl, redact } from '@cq/kombu';
import { Step } from '../../bootsteps.js';
import type { Consumer } from '../consumer.js';
import { TasksStep } from './tasks.js';

/** Broker URL schemes of the AMQP transport (driver type `amqp`). */
const AMQP_SCHEMES = new Set(['amqp', 'amqps', 'pyamqp', 'librabbitmq']);

export class DelayedDeliveryStep extends Step<Consumer> {
  static override readonly label = 'DelayedDelivery';
  static override readonly requires = [TasksStep];

  /** Celery `include_if`: the app uses a quorum queue on RabbitMQ (the transport's driver type is checked again at start). */
  override includeIf(c: Consumer): boolean {
    return AMQP_SCHEMES.has(parseUrl(c.app.broker.url).transport) && detectQuorumQueues(c.app, 'amqp')[0];
  }

  override async start(c: Consumer): Promise<void> {
    const connection = c.connection!;
    if (!detectQuorumQueues(c.app, connection.transport.driverType)[0]) return;
    const queueType = c.app.conf.broker_native_delayed_delivery_queue_type;
    checkQueueType('broker_native_delayed_delivery_queue_type', queueType);
    const log = c.worker.log;
    const channel = await connection.channel();
    try {
      if (!isNativeDelayedDelivery(channel)) return;
      await channel.declareDelayedDelivery(queueType);
      for (const queue of c.app.knownQueues()) {
        try {
          await maybeDeclare(queue, channel);
          const { skipped } = await channel.bindQueueToDelayedDelivery(queue);
          for (const exchange of skipped) {
            log.warn(`Exchange ${JSON.stringify(exchange)} of queue ${queue.name} is a direct exchange: native delayed delivery cannot route to it, `
              + 'so its ETA/countdown tasks are held by the worker until due (use a topic exchange: task_default_exchange_type = \'topic\').');
          }
        } catch (err) {
          log.error(`Failed to bind queue ${queue.name} to the delayed delivery exchange: ${message(err)}`);
        }
      }
    } catch (err) {
      log.warn(`Failed to set up delayed delivery for broker ${redact(c.app.broker.url)}: ${message(err)}`);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
