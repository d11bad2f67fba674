/**
 * Type tests of the settings (checked by `tsc --noEmit`, the package's `typecheck`, as
 * canvas/src/signature.test-d.ts; an `@ts-expect-error` whose line compiles fails it): the app's
 * settings are typed, a misspelt one does not compile in `new Celery(...)` nor on `app.conf`, and
 * another package's slice (`beat_*`, `worker_*`) compiles only where that package is in the program,
 * which @cq/app alone never is. packages/{beat,worker,control,events}/src/settings.test-d.ts prove
 * the other side: there, their settings compile.
 */
import { expectTypeOf } from 'vitest';
import { Celery, settingsSlice, type CelerySettings } from './index.js';

// The app's own settings, with their types.
const app = new Celery('types', { task_acks_late: true, result_expires: 60, task_routes: { 'proj.*': 'q' }, task_send_sent_event: true });
expectTypeOf(app.conf.task_acks_late).toEqualTypeOf<boolean>();
expectTypeOf(app.conf.result_expires).toEqualTypeOf<number | null>();
expectTypeOf(app.conf.task_default_queue).toEqualTypeOf<string>();
expectTypeOf(app.conf.task_send_sent_event).toEqualTypeOf<boolean>();

// A misspelt setting fails the object literal's excess-property check...
// @ts-expect-error 'task_acks_lat' is not a setting (task_acks_late)
new Celery('types', { task_acks_lat: true });
// ...and reading it from `conf`.
// @ts-expect-error 'task_acks_lat' is not a setting (task_acks_late)
expectTypeOf(app.conf.task_acks_lat).toBeUnknown();
// A wrong type for a known setting fails too.
// @ts-expect-error task_acks_late is a boolean
new Celery('types', { task_acks_late: 'yes' });

// No index signature: an arbitrary key is not a setting.
// @ts-expect-error CelerySettings has no index signature
expectTypeOf<CelerySettings['anything']>().toBeUnknown();

// Other packages' slices are merged in only where the package is imported; @cq/app imports none.
// @ts-expect-error beat_max_loop_interval is @cq/beat's
new Celery('types', { beat_max_loop_interval: 5 });
// @ts-expect-error worker_concurrency is @cq/worker's
new Celery('types', { worker_concurrency: 4 });

// settingsSlice takes only keys of CelerySettings, and returns the slice with its defaults' types.
expectTypeOf(settingsSlice(app.conf, { task_default_queue: 'celery' })).toEqualTypeOf<{ task_default_queue: string }>();
// @ts-expect-error a slice key must be a setting
settingsSlice(app.conf, { task_acks_lat: true });
