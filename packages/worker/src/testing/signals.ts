/**
 * The signals of Celery's `celery.contrib.testing.worker`, sent by `startWorker` and `TestWorker.stop`
 * (sender: the app): `test_worker_starting` before the worker is built, `test_worker_started` once it
 * consumes (before the ping check), `test_worker_stopped` once it has stopped.
 */
import { Signal, type Celery } from '@cq/app';
import type { Consumer } from '../consumer/consumer.js';
import type { Worker } from '../worker.js';

export const test_worker_starting = new Signal<Record<never, never>, Celery>('test_worker_starting');
export const test_worker_started = new Signal<{ worker: Worker; consumer: Consumer | null }, Celery>('test_worker_started');
export const test_worker_stopped = new Signal<{ worker: Worker }, Celery>('test_worker_stopped');
