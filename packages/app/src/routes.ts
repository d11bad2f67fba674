/**
 * Routing: which queue, exchange, routing key and priority a task message goes to (Celery
 * `celery/app/routes.py` `Router.route` and `amqp.send_task_message`).
 *
 * 1. The options of the call are laid over the task's own options (`queue`, `exchange`,
 *    `routingKey`, `priority`); a task without a priority takes `task_default_priority` when set.
 * 2. `task_routes` is consulted: a map of exact names or globs (`proj.*`) to a queue name or a route,
 *    a function `(name, args, kwargs, options, task) => route`, or a list of those tried in order
 *    until one answers. The first answer is merged *under* the options of step 1, key by key, so a
 *    queue given at call time or on the task beats the router (Celery's `lpmerge`).
 * 3. Without a queue or exchange, the message goes to `task_default_queue`.
 * 4. The queue is looked up (`task_queues`, else created when `task_create_missing_queues`, else
 *    {@link QueueNotFound}). A direct exchange with no exchange or routing key given sends through the
 *    default exchange `''` with the queue name as routing key, as Celery does; otherwise the queue's
 *    exchange and routing key fill what was not given.
 */
import type { Queue } from '@cq/kombu';
import type { CelerySettings, RouteSpec, TaskRoutes } from './config.js';

export interface ResolvedRoute {
  queue: string;
  /** `''` (the default exchange) when the queue's exchange is direct and none was named, as Celery does. */
  exchange: string;
  routingKey: string;
  priority?: number;
}

/** What routing needs besides settings: the queue lookup (throws QueueNotFound) and the task, passed to router functions. */
export interface RouteContext {
  queue?: (name: string) => Queue;
  task?: unknown;
}

/** Shell-style glob match (`*`, `?`) as Celery's `glob` routes; also `task_annotations` keys. */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(name);
}

function expand(spec: RouteSpec | string): RouteSpec {
  return typeof spec === 'string' ? { queue: spec } : { ...spec };
}

function fromMap(map: Record<string, RouteSpec | string>, name: string): RouteSpec | undefined {
  const exact = map[name];
  if (exact !== undefined) return expand(exact);
  for (const [pattern, spec] of Object.entries(map)) {
    if ((pattern.includes('*') || pattern.includes('?')) && globMatch(pattern, name)) return expand(spec);
  }
  return undefined;
}

/** Looks `name` up in `task_routes`; the first router that answers wins (Celery `Router.lookup_route`). */
export function lookupRoute(routes: TaskRoutes | null, name: string, args: unknown[], kwargs: Record<string, unknown>, options: Record<string, unknown>, task?: unknown): RouteSpec | undefined {
  if (!routes) return undefined;
  const list = Array.isArray(routes) ? routes : [routes];
  for (const router of list) {
    const found = typeof router === 'function' ? (router)(name, args, kwargs, options, task) : fromMap(router, name);
    if (found) return expand(found);
  }
  return undefined;
}

/** Keys of `spec` whose value is not undefined/null (Celery's `lpmerge` skips None). */
function defined(spec: RouteSpec): RouteSpec {
  const out: RouteSpec = {};
  if (spec.queue != null) out.queue = spec.queue;
  if (spec.exchange != null) out.exchange = spec.exchange;
  if (spec.routing_key != null) out.routing_key = spec.routing_key;
  if (spec.priority != null) out.priority = spec.priority;
  return out;
}

/**
 * Resolves the final route of one message (see the module doc for the order).
 * @param explicit options given at call time; @param fromTask the task's own routing options.
 * @throws QueueNotFound (from `context.queue`) when the queue is unknown and may not be created.
 */
export function resolveRoute(
  settings: CelerySettings, explicit: RouteSpec, fromTask: RouteSpec, name: string, args: unknown[],
  kwargs: Record<string, unknown>, context: RouteContext = {},
): ResolvedRoute {
  const options: RouteSpec = { ...defined(fromTask), ...defined(explicit) };
  // Celery: `if self.priority: options.setdefault('priority', self.priority)`, priority = task_default_priority.
  if (options.priority === undefined && settings.task_default_priority) options.priority = settings.task_default_priority;
  const routed = lookupRoute(settings.task_routes, name, args, kwargs, { ...options }, context.task);
  const merged: RouteSpec = routed ? { ...defined(routed), ...options } : options;
  const queueName = merged.queue ?? (merged.exchange === undefined ? settings.task_default_queue : undefined);
  const queue = queueName === undefined ? undefined : context.queue?.(queueName);
  const exchangeType = queue?.exchange.type ?? (queueName === settings.task_default_queue ? settings.task_default_exchange_type : 'direct');
  let exchange = merged.exchange;
  let routingKey = merged.routing_key;
  if ((!exchange || !routingKey) && exchangeType === 'direct') {
    exchange = '';
    routingKey = queueName ?? '';
  } else if (exchange === undefined) {
    exchange = queue?.exchange.name || (settings.task_default_exchange ?? settings.task_default_queue);
    routingKey = routingKey || queue?.routingKey || (settings.task_default_routing_key ?? queueName ?? '');
  }
  const resolved: ResolvedRoute = { queue: queueName ?? '', exchange, routingKey: routingKey ?? '' };
  if (merged.priority !== undefined) resolved.priority = merged.priority;
  return resolved;
}
