/**
 * The plugins the worker's broker tests give their apps: the transports and backends they connect
 * to, the canvas and task-sent events (what @cq/celery's preset gives; @cq/worker cannot depend on it).
 */
import type { CeleryPlugin } from '@cq/app';
import { redisBackend } from '@cq/backend-redis';
import { canvas } from '@cq/canvas';
import { events } from '@cq/events';
import { amqpTransport } from '@cq/transport-amqp';
import { redisTransport } from '@cq/transport-redis';

/** A new list on every call: Redis and AMQP transports, the Redis backend, canvas, events. */
export function testPlugins(): CeleryPlugin[] {
  return [redisTransport(), amqpTransport(), redisBackend(), canvas(), events()];
}
