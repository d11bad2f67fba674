/**
 * @cq/celery/testing — @cq/worker/testing re-exported (Celery's `celery.contrib.testing`), with a
 * `testApp` whose app has this package's full preset of plugins, as `new Celery()` from @cq/celery.
 *
 * ```ts
 * import { startWorker, testApp } from '@cq/celery/testing';
 * const app = testApp('proj');                          // memory:// broker, cache+memory:// results
 * const add = app.task('proj.add', (x: number, y: number) => x + y);
 * await using worker = await startWorker(app);
 * ```
 */
import type { AppOptions, Celery, CelerySettings } from '@cq/app';
import { testApp as workerTestApp, type MemoryBrokerOptions } from '@cq/worker/testing';
import { fullStack } from '../preset.js';

export {
  startWorker, TestWorker, useMemoryBroker, memoryUrls, registerPing, PING_TASK, PingCheckError, ShutdownTimeoutError,
  test_worker_starting, test_worker_started, test_worker_stopped, type StartWorkerOptions, type MemoryBrokerOptions,
} from '@cq/worker/testing';

/**
 * `testApp` of @cq/worker/testing with `plugins` defaulting to {@link fullStack} (canvas, events,
 * remote control and every bundled transport and backend); `options.plugins` replaces them.
 */
export function testApp(name?: string, conf: Partial<CelerySettings> = {}, options: AppOptions & MemoryBrokerOptions = {}): Celery {
  return workerTestApp(name, conf, { ...options, plugins: options.plugins ?? fullStack() });
}
