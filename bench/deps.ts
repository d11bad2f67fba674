/** What the harness uses from cq, in one place. */
import { Celery as PresetCelery, fullStack, type AppOptions, type Backend, type CelerySettings } from '@cq/celery';
import { postgresTransport } from '@cq/transport-postgres';
import { postgresBackend } from '@cq/backend-postgres';
import { mysqlBackend } from '@cq/backend-mysql';

export { parseIsoDate } from '@cq/celery';

/**
 * @cq/celery's app with the PostgreSQL transport and the PostgreSQL and MySQL result backends added:
 * the preset leaves them out (`pg` and `mysql2` are optional), so the bench composes them here for
 * `--broker postgresql://…` and `--result-backend db+postgresql://…`.
 */
export class Celery extends PresetCelery {
  constructor(main = 'default', config: Partial<CelerySettings> = {}, options: AppOptions = {}) {
    super(main, config, { ...options, plugins: options.plugins ?? [...fullStack(), postgresTransport(), postgresBackend(), mysqlBackend()] });
  }
}

/** A result backend for `url` through the full preset's backends (what a bench run reads results with). */
export function createBackend(url: string): Promise<Backend> {
  return new Celery('bench').backends.create(url);
}
