/**
 * Type tests (checked by `tsc --noEmit`, the package's `typecheck`): with @cq/control in the program,
 * its settings are part of `CelerySettings`, so `new Celery(...)` takes them and rejects a misspelt
 * or mistyped one; `app.conf` holds them as optional, `controlSettings()` with their defaults.
 */
import { expectTypeOf } from 'vitest';
import { Celery } from '@cq/app';
import { controlSettings } from './index.js';

const app = new Celery('types', { control_exchange: 'ctl', control_queue_ttl: 30, control_queue_expires: 5 });
expectTypeOf(app.conf.control_queue_ttl).toEqualTypeOf<number | undefined>();
expectTypeOf(controlSettings(app.conf)).toEqualTypeOf<{ control_exchange: string; control_queue_ttl: number; control_queue_expires: number }>();

// @ts-expect-error misspelt (control_exchange)
new Celery('types', { control_exhange: 'ctl' });
// @ts-expect-error seconds are a number
new Celery('types', { control_queue_ttl: '300' });
