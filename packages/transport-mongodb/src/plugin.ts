/**
 * The app plugin of @cq/transport-mongodb: registers the MongoDB transport for `mongodb://` and
 * `mongodb+srv://` broker URLs (kombu's MongoDB collections, shared with Python Celery). @cq/celery's
 * preset does not include it (the `mongodb` driver is not one of its dependencies): pass it yourself.
 *
 * ```ts
 * import { Celery, fullStack } from '@cq/celery';
 * import { mongodbTransport } from '@cq/transport-mongodb';
 * const app = new Celery('proj', { broker_url: 'mongodb://localhost:27017/kombu_default' }, { plugins: [...fullStack(), mongodbTransport()] });
 * ```
 */
import { transportPlugin, type TransportPlugin } from '@cq/kombu';
import { MONGODB_SCHEMES } from './options.js';
import { transport } from './transport.js';

/** The plugin to pass in the app's `plugins` so `mongodb://` and `mongodb+srv://` broker URLs resolve. */
export function mongodbTransport(): TransportPlugin {
  return transportPlugin('@cq/transport-mongodb', MONGODB_SCHEMES, transport);
}
