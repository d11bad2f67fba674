/**
 * Type tests (checked by `tsc --noEmit`, the package's `typecheck`): with @cq/worker in the program,
 * its settings are part of `CelerySettings`, so `new Celery(...)` takes them and rejects a misspelt
 * or mistyped one; `app.conf` holds them as optional, `workerSettings()` with their defaults.
 */
import { expectTypeOf } from 'vitest';
import { Celery } from '@cq/app';
import { workerSettings } from './index.js';

const app = new Celery('types', {
  worker_concurrency: 8, worker_prefetch_multiplier: 1, worker_pool: 'threads', worker_soft_shutdown_timeout: 10,
  worker_state_db: '/tmp/worker.db', worker_mingle: true, worker_eta_task_limit: 100,
  // @cq/events, a dependency of @cq/worker, is in the program too.
  worker_send_task_events: true,
});
expectTypeOf(app.conf.worker_concurrency).toEqualTypeOf<number | null | undefined>();
expectTypeOf(workerSettings(app.conf).worker_prefetch_multiplier).toEqualTypeOf<number>();
expectTypeOf(workerSettings(app.conf).worker_soft_shutdown_timeout).toEqualTypeOf<number>();
expectTypeOf(workerSettings(app.conf).worker_state_db).toEqualTypeOf<string | null>();

// @ts-expect-error misspelt (worker_concurrency)
new Celery('types', { worker_concurency: 8 });
// @ts-expect-error seconds are a number
new Celery('types', { worker_soft_shutdown_timeout: '10s' });
