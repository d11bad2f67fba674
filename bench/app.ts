/** The app the benchmarks run: trivial tasks, so the figures measure cq, not the work. */
import { Celery, transportOptions } from './deps.js';

export const app = new Celery('bench', { broker_transport_options: transportOptions() });

/** Returns its argument: the smallest task that still stores a result. */
export const noop = app.task('bench.noop', (n: number) => n);

export default app;
