/** What the harness uses from cq, in one place. */
import { Celery as PresetCelery, fullStack, type AppOptions, type Backend, type CelerySettings } from '@cq/celery';
import { postgresTransport } from '@cq/transport-postgres';
import { postgresBackend } from '@cq/backend-postgres';
import { mysqlBackend } from '@cq/backend-mysql';
import { sqsTransport } from '@cq/transport-sqs';

export { fastProfile, parseIsoDate, redact, type Backend, type TaskMeta } from '@cq/celery';

/**
 * @cq/celery's app with the PostgreSQL and SQS transports and the PostgreSQL and MySQL result backends
 * added: the preset leaves them out (`pg`, `mysql2` and the AWS SDK are optional), so the bench composes
 * them here for `--broker postgresql://…`, `--broker sqs://…` and `--result-backend db+postgresql://…`.
 */
export class Celery extends PresetCelery {
  constructor(main = 'default', config: Partial<CelerySettings> = {}, options: AppOptions = {}) {
    super(main, config, { ...options, plugins: options.plugins ?? [...fullStack(), postgresTransport(), sqsTransport(), postgresBackend(), mysqlBackend()] });
  }
}

/** `broker_transport_options` from $CQ_BENCH_TRANSPORT_OPTIONS (JSON; the Python peer reads the same), else `{}`. */
export function transportOptions(): Record<string, unknown> {
  return JSON.parse(process.env['CQ_BENCH_TRANSPORT_OPTIONS'] ?? '{}') as Record<string, unknown>;
}

/** A result backend for `url` through the full preset's backends (what a bench run reads results with). */
export function createBackend(url: string): Promise<Backend> {
  return new Celery('bench').backends.create(url);
}
