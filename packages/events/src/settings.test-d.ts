/**
 * Type tests (checked by `tsc --noEmit`, the package's `typecheck`): with @cq/events in the program,
 * its settings are part of `CelerySettings`, so `new Celery(...)` takes them and rejects a misspelt
 * or mistyped one; `app.conf` holds them as optional, `eventSettings()` with their defaults.
 */
import { expectTypeOf } from 'vitest';
import { Celery } from '@cq/app';
import { eventSettings } from './index.js';

const app = new Celery('types', { event_exchange: 'ev', event_queue_ttl: 1.5, worker_send_task_events: true, task_send_sent_event: true });
expectTypeOf(app.conf.event_queue_ttl).toEqualTypeOf<number | undefined>();
expectTypeOf(eventSettings(app.conf).event_queue_ttl).toEqualTypeOf<number>();
expectTypeOf(eventSettings(app.conf).worker_send_task_events).toEqualTypeOf<boolean>();

// @ts-expect-error misspelt (event_serializer)
new Celery('types', { event_serialiser: 'json' });
// @ts-expect-error seconds are a number
new Celery('types', { event_queue_expires: '60' });
