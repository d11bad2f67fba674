/**
 * The app plugin of @cq/transport-postgres: registers the PostgreSQL transport for `postgresql://`,
 * `postgres://` (cq's tables) and `sqla+postgresql://` (kombu's SQLAlchemy tables, shared with
 * Python Celery; also `sqla+postgresql+psycopg2://` and `sqlalchemy+postgresql://`). @cq/celery's
 * preset does not include it: pass it yourself.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * import { fullStack } from '@cq/celery';
 * import { postgresTransport } from '@cq/transport-postgres';
 * const app = new Celery('proj', { broker_url: 'postgresql://app@db/app' }, { plugins: [...fullStack(), postgresTransport()] });
 * ```
 */
import { transportPlugin, type TransportPlugin } from '@cq/kombu';
import { transport } from './transport.js';

/** URL schemes served: cq's layout first, then kombu's SQLAlchemy forms. */
export const POSTGRES_SCHEMES = ['postgresql', 'postgres', 'sqla+postgresql', 'sqla+postgresql+psycopg2', 'sqlalchemy+postgresql'] as const;

/** The plugin to pass in the app's `plugins` so PostgreSQL broker URLs resolve. */
export function postgresTransport(): TransportPlugin {
  return transportPlugin('@cq/transport-postgres', POSTGRES_SCHEMES, transport);
}
