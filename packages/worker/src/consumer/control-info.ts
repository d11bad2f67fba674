/**
 * The dicts remote control replies carry, in Celery's shapes: a request's `Request.info()` (`inspect
 * active`/`reserved`/`scheduled`/`query_task`), a queue's kombu `Queue.as_dict(recurse=True)`
 * (`inspect active_queues`), the broker's `Connection.info()` and `resource.getrusage()` (`inspect
 * stats`). Times are Unix seconds, durations seconds.
 */
import { performance } from 'node:perf_hooks';
import { redact, type Queue } from '@cq/kombu';
import type { Request } from '../request.js';
import type { Consumer } from './consumer.js';

/** Celery `Request.info(safe)`: `safe` turns args/kwargs into their repr strings. */
export function requestInfo(r: Request, hostname: string, safe = false): Record<string, unknown> {
  return {
    id: r.id, name: r.fields.name,
    args: safe ? r.fields.argsrepr : r.fields.args, kwargs: safe ? r.fields.kwargsrepr : r.fields.kwargs,
    type: r.fields.name, hostname,
    time_start: r.startedAt ? (performance.timeOrigin + r.startedAt) / 1000 : null,
    acknowledged: r.message.acknowledged,
    delivery_info: {
      exchange: r.message.deliveryInfo.exchange ?? '', routing_key: r.message.deliveryInfo.routing_key ?? '',
      priority: r.message.properties.priority ?? null, redelivered: r.message.redelivered,
    },
    worker_pid: r.startedAt ? process.pid : null,
  };
}

/** kombu `Queue.as_dict(recurse=True)`; `x-expires`/`x-message-ttl` (ms) become `expires`/`message_ttl` (s). */
export function queueInfo(q: Queue): Record<string, unknown> {
  return {
    name: q.name,
    exchange: {
      name: q.exchange.name, type: q.exchange.type, arguments: q.exchange.arguments, durable: q.exchange.durable,
      passive: false, auto_delete: q.exchange.autoDelete, delivery_mode: q.exchange.deliveryMode ?? null, no_declare: false,
    },
    routing_key: q.routingKey, queue_arguments: Object.keys(q.arguments).length > 0 ? q.arguments : null,
    binding_arguments: null, consumer_arguments: null, durable: q.durable, exclusive: q.exclusive, auto_delete: q.autoDelete,
    no_ack: false, alias: null, bindings: q.bindings.map((b) => ({ exchange: b.exchange.name, routing_key: b.routingKey, arguments: b.arguments })),
    no_declare: null,
    expires: msToSeconds(q.arguments['x-expires']), message_ttl: msToSeconds(q.arguments['x-message-ttl']),
    max_length: q.arguments['x-max-length'] ?? null, max_length_bytes: q.arguments['x-max-length-bytes'] ?? null,
    max_priority: q.maxPriority ?? null,
  };
}

/** Broker URL schemes that mean TLS (kombu's `ssl` is also true when `broker_use_ssl` is set). */
const TLS_SCHEMES = new Set(['rediss', 'amqps']);

/** kombu `Connection.info()` of the consumer's connection (nulls before it connected). */
export function brokerInfo(c: Consumer): Record<string, unknown> {
  const url = c.connection?.url;
  return {
    hostname: url?.hostname ?? null, userid: url?.userid ?? null, virtual_host: url?.virtualHost ?? null, port: url?.port ?? null,
    insist: false, ssl: Boolean(c.app.conf.broker_use_ssl) || TLS_SCHEMES.has(url?.transport ?? ''), transport: url?.transport ?? null, connect_timeout: 4,
    transport_options: c.app.conf.broker_transport_options, login_method: null, uri_prefix: null, heartbeat: 120.0,
    failover_strategy: c.connection?.failoverStrategy ?? 'round-robin',
    alternates: (c.connection?.alternates.length ?? 0) > 1 ? c.connection!.alternates.map((u) => redact(u.href)) : [],
  };
}

/** Python `resource.getrusage(RUSAGE_SELF)` as Celery's `stats` shows it (`utime`/`stime` in seconds). */
export function rusage(): Record<string, number> {
  const u = process.resourceUsage();
  return {
    utime: u.userCPUTime / 1e6, stime: u.systemCPUTime / 1e6, maxrss: u.maxRSS, ixrss: 0, idrss: 0, isrss: 0,
    minflt: u.minorPageFault, majflt: u.majorPageFault, nswap: u.swappedOut, inblock: u.fsRead, oublock: u.fsWrite,
    msgsnd: u.ipcSent, msgrcv: u.ipcReceived, nsignals: u.signalsCount, nvcsw: u.voluntaryContextSwitches, nivcsw: u.involuntaryContextSwitches,
  };
}

function msToSeconds(value: unknown): number | null {
  return typeof value === 'number' ? value / 1000 : null;
}
