/**
 * Routing: which queue, exchange and routing key a task message goes to (Celery `celery/app/routes.py`).
 * Order: options given at call time → the task's own options → `task_routes` → the default queue.
 */
import type { CelerySettings, RouteFunction, RouteSpec, TaskRoutes } from './config.js';

export interface ResolvedRoute {
  queue: string;
  /** `''` (the default exchange) when the queue's exchange is direct and none was named, as Celery does. */
  exchange: string;
  routingKey: string;
  priority?: number;
}

/** Shell-style glob match (`*`, `?`) as Celery's `glob` routes. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(name);
}

function fromMap(map: Record<string, RouteSpec | string>, name: string): RouteSpec | undefined {
  const exact = map[name];
  if (exact !== undefined) return typeof exact === 'string' ? { queue: exact } : exact;
  for (const [pattern, spec] of Object.entries(map)) {
    if ((pattern.includes('*') || pattern.includes('?')) && globMatch(pattern, name)) return typeof spec === 'string' ? { queue: spec } : spec;
  }
  return undefined;
}

/** Looks `name` up in `task_routes`; the first router that answers wins. */
export function lookupRoute(routes: TaskRoutes | null, name: string, args: unknown[], kwargs: Record<string, unknown>, options: Record<string, unknown>): RouteSpec | undefined {
  if (!routes) return undefined;
  const list = Array.isArray(routes) ? routes : [routes];
  for (const router of list) {
    const found = typeof router === 'function' ? (router as RouteFunction)(name, args, kwargs, options) : fromMap(router, name);
    if (found) return typeof found === 'string' ? { queue: found } : found;
  }
  return undefined;
}

/** Resolves the final route for one message. */
export function resolveRoute(settings: CelerySettings, explicit: RouteSpec, fromTask: RouteSpec, name: string, args: unknown[], kwargs: Record<string, unknown>): ResolvedRoute {
  const routed = explicit.queue ?? explicit.exchange ?? explicit.routing_key ? explicit
    : fromTask.queue ?? fromTask.exchange ?? fromTask.routing_key ? fromTask
    : lookupRoute(settings.task_routes, name, args, kwargs, {}) ?? {};
  const queue = routed.queue ?? settings.task_default_queue;
  const isDefaultQueue = queue === settings.task_default_queue;
  const exchange = routed.exchange ?? (isDefaultQueue && settings.task_default_exchange && settings.task_default_exchange !== queue ? settings.task_default_exchange : '');
  const routingKey = routed.routing_key ?? (exchange === '' ? queue : isDefaultQueue ? settings.task_default_routing_key ?? queue : queue);
  const priority = explicit.priority ?? fromTask.priority ?? routed.priority;
  return priority === undefined ? { queue, exchange, routingKey } : { queue, exchange, routingKey, priority };
}
