/**
 * Type tests (checked by `tsc --noEmit`, the package's `typecheck`): with @cq/beat in the program,
 * its settings are part of `CelerySettings`, so `new Celery(...)` takes them and rejects a misspelt
 * or mistyped one; `app.conf` holds them as optional, `beatSettings()` with their defaults.
 */
import { expectTypeOf } from 'vitest';
import { Celery } from '@cq/app';
import { beatSettings, crontab, type BeatScheduleSetting } from './index.js';

const app = new Celery('types', {
  beat_schedule: { every30: { task: 'proj.add', schedule: 30, args: [1, 2] }, nightly: { task: 'proj.report', schedule: crontab({ hour: 3, minute: 0 }) } },
  beat_max_loop_interval: 5,
  beat_schedule_filename: '/tmp/beat.db',
  beat_lock_timeout: 10,
  beat_lock_key: 'proj.beat.lock',
  task_acks_late: true,
});
expectTypeOf(app.conf.beat_max_loop_interval).toEqualTypeOf<number | undefined>();
expectTypeOf(beatSettings(app.conf).beat_max_loop_interval).toEqualTypeOf<number>();
expectTypeOf(beatSettings(app.conf).beat_schedule).toEqualTypeOf<BeatScheduleSetting>();
expectTypeOf(beatSettings(app.conf).beat_lock_key).toEqualTypeOf<string | null>();
app.conf.beat_schedule_filename = 'beat.db';

// @ts-expect-error misspelt (beat_max_loop_interval)
new Celery('types', { beat_max_loop_intervall: 5 });
// @ts-expect-error seconds are a number
new Celery('types', { beat_lock_timeout: '30' });
// @ts-expect-error an entry needs a task name
new Celery('types', { beat_schedule: { bad: { schedule: 30 } } });
