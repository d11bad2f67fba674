/**
 * @cq/worker/testing — run a real worker inside an app's own tests (Celery's `celery.contrib.testing`):
 * `startWorker(app, options)` starts an in-process worker and checks it answers `celery.ping`;
 * `useMemoryBroker(app)` / `testApp(name, conf)` wire the in-process broker and result backend.
 * Imports no test framework.
 */
export { startWorker, TestWorker, type StartWorkerOptions } from './start-worker.js';
export { testApp, useMemoryBroker, memoryUrls, type MemoryBrokerOptions } from './memory.js';
export { registerPing, PING_TASK } from './ping.js';
export { test_worker_starting, test_worker_started, test_worker_stopped } from './signals.js';
export { PingCheckError, ShutdownTimeoutError } from '../errors.js';
