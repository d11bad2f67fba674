/**
 * The app plugin of @cq/transport-amqp: registers the RabbitMQ (AMQP 0-9-1) transport for amqp://, amqps://, pyamqp:// URLs
 * in the app's transport registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { amqpTransport } from '@cq/transport-amqp';
 * const app = new Celery('proj', { broker_url: '...' }, { plugins: [amqpTransport()] });
 * ```
 */
import { transportPlugin, type TransportPlugin } from '@cq/kombu';
import { transport } from './transport.js';

/** The plugin to pass in the app's `plugins` so broker URLs of this transport's schemes resolve. */
export function amqpTransport(): TransportPlugin {
  return transportPlugin('@cq/transport-amqp', ['amqp', 'amqps', 'pyamqp'], transport);
}
