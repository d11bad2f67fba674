/**
 * Countdown and ETA tasks through RabbitMQ's native delayed delivery (Celery 5.5 `Celery.send_task`,
 * kombu `native_delayed_delivery`): when the broker's channel offers it (`isNativeDelayedDelivery`,
 * the AMQP transport) and the app uses a quorum queue (`detectQuorumQueues`), a task due in ≥ 1 s
 * whose exchange is not direct is published to `celery_delayed_27` with kombu's binary routing key
 * instead of to its queue; the broker holds it in the delay queues and routes it to the queue when
 * it is due, so the worker does not keep it in memory (it still carries its `eta` header, and the
 * worker waits out the fraction of a second Celery's `int(countdown)` dropped). Otherwise — a direct
 * exchange (warned once, as Celery warns), a delay under 1 s or of 2^28 s or more, no quorum queue —
 * the message is sent as usual and the worker holds it until its ETA.
 *
 * Beyond Celery: before its first delayed publish a channel declares the delay exchanges and queues
 * (`broker_native_delayed_delivery_queue_type`) and binds the target queue to the delivery exchange,
 * as a worker does at start. Celery's client relies on a worker having done so: before that, its
 * publish fails (404, no exchange `celery_delayed_27`) or the message is dropped when due (no
 * binding yet). A declaration the broker refuses (delay queues of the other type, say) is logged
 * once as a warning and the message is published anyway.
 */
import { isNativeDelayedDelivery, maybeDeclare, parseIsoDate, type Channel, type NativeDelayedDelivery, type Queue } from '@cq/kombu';
import type { CelerySettings } from './config.js';
import type { Logger } from './logging.js';
import { checkQueueType, detectQuorumQueues } from './quorum-queues.js';
import type { ResolvedRoute } from './routes.js';

/** What this module needs of the app. */
export interface DelayedDeliveryApp {
  readonly conf: CelerySettings;
  readonly log: Logger;
  knownQueues(): Queue[];
}

/** What is being sent: its route, its queue (null when sent to an exchange only), its countdown (s) or ETA. */
export interface DelayedTarget {
  route: ResolvedRoute;
  queue: Queue | null;
  countdown?: number | undefined;
  eta?: Date | string | undefined;
}

/** Per channel: the delay topology (declared once) and the queues bound to the delivery exchange. */
const prepared = new WeakMap<Channel, { topology: Promise<void>; bound: Map<string, Promise<void>> }>();
/** Per app: exchanges already warned about (direct exchanges cannot take delayed messages). */
const warned = new WeakMap<DelayedDeliveryApp, Set<string>>();

/**
 * The exchange and routing key to publish `target` with when it goes through native delayed
 * delivery, or null to publish it as routed (see the module doc). Declares the delay topology and
 * binds the queue on first use of `channel`.
 * @param driverType the broker transport's `driverType` (`amqp` for RabbitMQ).
 */
export async function nativeDelayedRoute(app: DelayedDeliveryApp, channel: Channel, driverType: string, target: DelayedTarget): Promise<{ exchange: string; routingKey: string } | null> {
  const { route, queue, countdown, eta } = target;
  if (!countdown && eta === undefined) return null;
  if (!isNativeDelayedDelivery(channel) || !detectQuorumQueues(app, driverType)[0]) return null;
  const exchangeType = exchangeTypeOf(app, route.exchange, queue);
  if (exchangeType === undefined) return null;
  if (exchangeType === 'direct') {
    warnDirect(app, route.exchange || route.queue);
    return null;
  }
  const seconds = countdown ? countdown : (toDate(eta!).getTime() - Date.now()) / 1000;
  const delayed = channel.delayedRoute(seconds, route.routingKey);
  if (!delayed) return null;
  await prepare(app, channel, queue);
  return delayed;
}

/** The type of the exchange a message is published to: from its queue, else from any known queue bound to it. */
function exchangeTypeOf(app: DelayedDeliveryApp, exchange: string, queue: Queue | null): string | undefined {
  if (exchange === '') return 'direct';
  // A delayed message arrives from celery_delayed_delivery (topic): a retry re-sends it there.
  if (exchange === 'celery_delayed_delivery') return 'topic';
  for (const q of queue ? [queue, ...app.knownQueues()] : app.knownQueues()) {
    if (q.exchange.name === exchange) return q.exchange.type;
    const bound = q.bindings.find((b) => b.exchange.name === exchange);
    if (bound) return bound.exchange.type;
  }
  return undefined;
}

function warnDirect(app: DelayedDeliveryApp, name: string): void {
  let names = warned.get(app);
  if (!names) warned.set(app, (names = new Set()));
  if (names.has(name)) return;
  names.add(name);
  app.log.warn(`Direct exchanges are not supported with native delayed delivery: ${JSON.stringify(name)} is a direct exchange, `
    + 'so its countdown/ETA tasks are held by the worker until due (set task_default_exchange_type = \'topic\').');
}

async function prepare(app: DelayedDeliveryApp, channel: Channel & NativeDelayedDelivery, queue: Queue | null): Promise<void> {
  let state = prepared.get(channel);
  if (!state) {
    const type = app.conf.broker_native_delayed_delivery_queue_type;
    checkQueueType('broker_native_delayed_delivery_queue_type', type);
    state = { topology: settle(app, channel.declareDelayedDelivery(type), 'declare the delay queues'), bound: new Map() };
    prepared.set(channel, state);
  }
  await state.topology;
  if (!queue) return;
  let bound = state.bound.get(queue.name);
  if (!bound) {
    bound = settle(app, maybeDeclare(queue, channel).then(() => channel.bindQueueToDelayedDelivery(queue)), `bind queue ${queue.name} to celery_delayed_delivery`);
    state.bound.set(queue.name, bound);
  }
  await bound;
}

/** Resolves when `work` settles; a failure is logged as a warning (the publish goes ahead). */
function settle(app: DelayedDeliveryApp, work: Promise<unknown>, doing: string): Promise<void> {
  return work.then(() => undefined, (err: unknown) => {
    app.log.warn(`native delayed delivery: could not ${doing}: ${err instanceof Error ? err.message : String(err)}`);
  });
}

function toDate(eta: Date | string): Date {
  return eta instanceof Date ? eta : parseIsoDate(eta);
}
