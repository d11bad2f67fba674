/** What the harness uses from cq, in one place. */
import { Celery as PresetCelery, fullStack, type AppOptions, type Backend, type CelerySettings } from '@cq/celery';
import { postgresTransport } from '@cq/transport-postgres';

export { parseIsoDate } from '@cq/celery';

/**
 * @cq/celery's app with the PostgreSQL transport added: the preset leaves it out (`pg` is optional),
 * so the bench composes it here for `--broker postgresql://…`.
 */
export class Celery extends PresetCelery {
  constructor(main = 'default', config: Partial<CelerySettings> = {}, options: AppOptions = {}) {
    super(main, config, { ...options, plugins: options.plugins ?? [...fullStack(), postgresTransport()] });
  }
}

/** A result backend for `url` through the full preset's backends (what a bench run reads results with). */
export function createBackend(url: string): Promise<Backend> {
  return new Celery('bench').backends.create(url);
}
