/**
 * The app plugin of @cq/transport-sqlite: registers the SQLite transport for sqlite://, sqla+sqlite:// URLs
 * in the app's transport registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { sqliteTransport } from '@cq/transport-sqlite';
 * const app = new Celery('proj', { broker_url: '...' }, { plugins: [sqliteTransport()] });
 * ```
 */
import { transportPlugin, type TransportPlugin } from '@cq/kombu';
import { transport } from './transport.js';

/** The plugin to pass in the app's `plugins` so broker URLs of this transport's schemes resolve. */
export function sqliteTransport(): TransportPlugin {
  return transportPlugin('@cq/transport-sqlite', ['sqlite', 'sqla+sqlite'], transport);
}
