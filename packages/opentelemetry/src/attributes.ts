/**
 * Span names and attributes as Python's `opentelemetry-instrumentation-celery` writes them
 * (`__init__.py` constants and `utils.set_attributes_from_context`), so dashboards and queries built
 * on Python workers read cq's spans unchanged:
 *
 * | span | name | kind | attributes |
 * | --- | --- | --- | --- |
 * | publish | `apply_async/<task name>` | PRODUCER | `celery.action` = `apply_async`, `messaging.message.id`, `celery.task_name`, `celery.exchange` (when not the default `''`), `messaging.destination` (the routing key), `messaging.destination_kind` (`queue` for a direct exchange, `topic` for a topic one) |
 * | run | `run/<task name>` | CONSUMER | `celery.action` = `run`, `celery.state`, `messaging.message.id`, `celery.task_name`, `messaging.conversation_id` (correlation id), `messaging.destination` (routing key), `celery.delivery_info`, `celery.eta`, `celery.expires`, `celery.hostname`, `celery.reply_to`, `celery.retries` (when > 0), `celery.timelimit`, `celery.compression`; on retry `celery.retry.reason` |
 *
 * Python's quirks are kept where a query could depend on them: `celery.hostname` of a run span is
 * the message's `origin` (the sender's node name, which Python writes over the worker's), and
 * `celery.delivery_info` is the Python repr of the delivery info dict. `celery.timelimit` is set only
 * when both limits are (Python's SDK drops its mixed `[10, '']` list).
 */
import type { Span } from '@opentelemetry/api';
import { pythonRepr, type TaskRequest } from '@cq/app';

export const CELERY_ACTION = 'celery.action';
export const CELERY_TASK_NAME = 'celery.task_name';
export const CELERY_RETRY_REASON = 'celery.retry.reason';
export const CELERY_REVOKED_REASON = 'celery.revoked.reason';
export const CELERY_TERMINATED_SIGNAL = 'celery.terminated.signal';
export const CELERY_STATE = 'celery.state';
/** semconv `messaging.message.id` (Python imports it from `opentelemetry.semconv`; before its 1.21 schema it was `messaging.message_id`). */
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const MESSAGING_DESTINATION = 'messaging.destination';
export const MESSAGING_DESTINATION_KIND = 'messaging.destination_kind';
export const MESSAGING_CONVERSATION_ID = 'messaging.conversation_id';

export const APPLY_ASYNC = 'apply_async';
export const RUN = 'run';

/** What `before_task_publish` tells about the route of a message. */
export interface PublishRoute {
  exchange: string;
  routingKey: string;
  /** The queues declared with the message (kombu `Queue`s: only their exchange type is read). */
  declare: ReadonlyArray<{ exchange: { type: string } }>;
}

/** The attributes Python takes from the `before_task_publish` arguments (exchange, routing key, declare). */
export function setPublishAttributes(span: Span, route: PublishRoute): void {
  if (route.exchange) span.setAttribute('celery.exchange', route.exchange);
  if (route.routingKey) span.setAttribute(MESSAGING_DESTINATION, route.routingKey);
  for (const queue of route.declare) {
    const type = queue.exchange.type;
    if (type === 'direct' || type === 'topic') {
      span.setAttribute(MESSAGING_DESTINATION_KIND, type === 'direct' ? 'queue' : 'topic');
      break;
    }
  }
}

/** The attributes Python takes from `task.request` at `task_postrun`, in its order (later keys win). */
export function setRequestAttributes(span: Span, request: TaskRequest): void {
  const headers = request.headers;
  const compression = headers['compression'];
  if (typeof compression === 'string' && compression) span.setAttribute('celery.compression', compression);
  if (request.correlationId) span.setAttribute(MESSAGING_CONVERSATION_ID, request.correlationId);
  const delivery = request.deliveryInfo;
  if (delivery.routing_key) span.setAttribute(MESSAGING_DESTINATION, delivery.routing_key);
  // Celery's Request.delivery_info: these four keys, in this order.
  span.setAttribute('celery.delivery_info', pythonRepr({
    exchange: delivery.exchange ?? null, routing_key: delivery.routing_key ?? null,
    priority: delivery.priority ?? null, redelivered: delivery.redelivered ?? null,
  }));
  const eta = headers['eta'];
  if (typeof eta === 'string' && eta) span.setAttribute('celery.eta', eta);
  const expires = headers['expires'];
  if (typeof expires === 'string' && expires) span.setAttribute('celery.expires', expires);
  if (request.hostname) span.setAttribute('celery.hostname', request.hostname);
  span.setAttribute(MESSAGING_MESSAGE_ID, request.id);
  if (request.replyTo) span.setAttribute('celery.reply_to', request.replyTo);
  if (request.retries) span.setAttribute('celery.retries', request.retries);
  const [hard, soft] = request.timeLimit;
  if (hard !== null && soft !== null) span.setAttribute('celery.timelimit', [hard, soft]);
  if (request.origin) span.setAttribute('celery.hostname', request.origin);
}
