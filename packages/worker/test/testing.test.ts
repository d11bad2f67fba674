/**
 * @cq/worker/testing against real in-process workers on the memory broker and result backend:
 * start, run tasks, ping check, stop (warm, then cold after `shutdownTimeout`), cleanup when the code
 * using the worker throws, and the `solo`, `async` and `threads` pools.
 */
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Celery } from '@cq/app';
import type { Worker } from '@cq/worker';
import {
  PING_TASK, PingCheckError, ShutdownTimeoutError, startWorker, test_worker_started, test_worker_stopped, testApp, useMemoryBroker,
  type TestWorker,
} from '@cq/worker/testing';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const apps: Celery[] = [];
const handles: TestWorker[] = [];
/** Workers announced by `test_worker_started`, including those startWorker stopped before returning. */
const startedWorkers: Worker[] = [];
const disconnect = test_worker_started.connect(({ worker }) => void startedWorkers.push(worker));

afterAll(disconnect);

afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop().catch(() => undefined)));
  await Promise.all(apps.splice(0).map((a) => a.close()));
  expect(startedWorkers.splice(0).map((w) => w.state)).not.toContain('running');
});

function newApp(name: string, conf: Parameters<typeof testApp>[1] = {}, options: Parameters<typeof testApp>[2] = {}): Celery {
  const app = testApp(name, conf, options);
  apps.push(app);
  return app;
}

async function started(app: Celery, options: Parameters<typeof startWorker>[1] = {}): Promise<TestWorker> {
  const handle = await startWorker(app, { loglevel: 'critical', ...options }); // the failing tasks' ERROR lines are expected
  handles.push(handle);
  return handle;
}

describe.each(['solo', 'async'] as const)('startWorker, %s pool', (pool) => {
  it('runs tasks sent by the app, then stops on stop()', async () => {
    const app = newApp(`testing-${pool}`);
    const add = app.task('testing.add', (x: number, y: number) => x + y);
    const boom = app.task('testing.boom', (what: string): never => {
      throw new RangeError(`no ${what}`);
    });
    const stopped: Worker[] = [];
    const off = test_worker_stopped.connect(({ worker }) => void stopped.push(worker), { sender: app });
    try {
      const worker = await started(app, { pool, concurrency: 2 });
      expect(worker.worker.state).toBe('running');
      expect(worker.worker.pool.name).toBe(pool);
      expect(worker.hostname).toMatch(new RegExp(`^gen${process.pid}\\.\\d+@`));
      expect(app.tasks.has(PING_TASK)).toBe(true);
      expect(await (await add.delay(2, 3)).get({ timeout: 5 })).toBe(5);
      const failed = await boom.delay('luck');
      await expect(failed.get({ timeout: 5 })).rejects.toMatchObject({ name: 'ValueError', message: 'no luck' }) // RangeError crosses as Python's ValueError;
      expect(await failed.state()).toBe('FAILURE');
      const first = worker.stop();
      expect(worker.stop()).toBe(first);
      await first;
      expect(worker.worker.state).toBe('stopped');
      expect(stopped).toEqual([worker.worker]);
      expect(worker.worker.stats).toMatchObject({ processed: 3, succeeded: 2, failed: 1 });
    } finally {
      off();
    }
  });
});

describe('startWorker cleanup', () => {
  it('stops the worker when an `await using` block throws, and the error passes through', async () => {
    const app = newApp('testing-dispose');
    let seen: Worker | undefined;
    const body = async (): Promise<void> => {
      await using worker = await startWorker(app);
      seen = worker.worker;
      expect(worker.worker.state).toBe('running');
      throw new Error('assertion failed in the test');
    };
    await expect(body()).rejects.toThrow('assertion failed in the test');
    expect(seen?.state).toBe('stopped');
  });

  it('fails the ping check with a typed error naming the queues when the worker consumes another queue, and stops it', async () => {
    const app = newApp('testing-wrong-queue');
    const t0 = performance.now();
    const error = await startWorker(app, { queues: ['elsewhere'], pingTaskTimeout: 0.5 }).catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    expect(error).toBeInstanceOf(PingCheckError);
    expect(error).toMatchObject({ code: 'CQ_WORKER_PING_CHECK', cause: { name: 'TimeoutError' } });
    const { message } = error as Error;
    expect(message).toMatch(/^no answer to celery\.ping within pingTaskTimeout \(0\.5 s\): celery\.ping was sent to queue 'celery' on memory:\/\/cq-test-\d+-\d+ and worker gen\d+\.\d+@\S+ consumes 'elsewhere'; /);
    expect(message).toContain("the worker does not consume 'celery', where the app sends its tasks");
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(startedWorkers).toHaveLength(1);
    expect(startedWorkers[0]!.state).toBe('stopped');
  });

  it('passes the ping check when the worker consumes the queue the app routes to', async () => {
    const app = newApp('testing-routed', { task_routes: { 'celery.*': { queue: 'pings' }, 'testing.*': { queue: 'work' } } });
    const add = app.task('testing.add', (x: number, y: number) => x + y);
    await started(app, { queues: ['pings', 'work'] });
    expect(await (await add.delay(20, 22)).get({ timeout: 5 })).toBe(42);
  });

  it('refuses the ping check, before starting anything, for an app without a result backend', async () => {
    const app = newApp('testing-no-backend', { result_backend: null });
    const error = await startWorker(app).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PingCheckError);
    expect((error as Error).message).toContain('this app has no result backend');
    expect(startedWorkers).toHaveLength(0);
    const worker = await started(app, { performPingCheck: false });
    expect(worker.worker.state).toBe('running');
  });

  it('cancels tasks still running after shutdownTimeout (cold) and says which', async () => {
    const app = newApp('testing-shutdown-timeout');
    let aborted = false;
    const nap = app.task('testing.nap', async (ctx, ms: number) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal.addEventListener('abort', () => { aborted = true; clearTimeout(timer); resolve(); }, { once: true });
      });
      return ms;
    }, { bind: true });
    const worker = await started(app, { shutdownTimeout: 0.3 });
    const result = await nap.delay(10_000);
    while (worker.worker.activeRequests.size === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    const error = await worker.stop().catch((e: unknown) => e);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    expect(error).toBeInstanceOf(ShutdownTimeoutError);
    expect(error).toMatchObject({ code: 'CQ_WORKER_SHUTDOWN_TIMEOUT', running: [`testing.nap[${result.id}]`] });
    expect((error as Error).message).toContain('did not stop within shutdownTimeout (0.3 s): cancelled 1 running task(s)');
    expect(worker.worker.state).toBe('stopped');
    expect(aborted).toBe(true);
    expect(await result.state()).toBe('RETRY');
  });

  it('waits for a running task on a warm stop within shutdownTimeout', async () => {
    const app = newApp('testing-warm');
    const nap = app.task('testing.nap', (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)));
    const worker = await started(app);
    const result = await nap.delay(200);
    while (worker.worker.activeRequests.size === 0) await new Promise((r) => setTimeout(r, 5));
    await worker.stop();
    expect(await result.get({ timeout: 1 })).toBe(200);
  });
});

describe('memory broker between apps', () => {
  it('useMemoryBroker replaces a configured broker and backend', async () => {
    const app = new Celery('testing-configured', { broker_url: 'redis://127.0.0.1:1/0', result_backend: 'redis://127.0.0.1:1/0' });
    apps.push(app);
    expect(useMemoryBroker(app)).toBe(app);
    expect(app.broker.url).toMatch(/^memory:\/\/cq-test-\d+-\d+$/);
    expect(app.resultBackendUrl).toBe(app.broker.url.replace('memory://', 'cache+memory://'));
    const mul = app.task('testing.mul', (x: number, y: number) => x * y);
    await started(app);
    expect(await (await mul.delay(6, 7)).get({ timeout: 5 })).toBe(42);
  });

  it('a client app and a worker app on the same store exchange tasks and results; another store sees none', async () => {
    const workerApp = newApp('testing-worker-side', {}, { store: 'testing-shared' });
    workerApp.task('testing.echo', (v: string) => `echo ${v}`);
    const client = newApp('testing-client-side', {}, { store: 'testing-shared' });
    const stranger = newApp('testing-stranger');
    await started(workerApp);
    expect(await (await client.sendTask('testing.echo', ['hi'])).get({ timeout: 5 })).toBe('echo hi');
    const lost = await stranger.sendTask('testing.echo', ['nobody']);
    await expect(lost.get({ timeout: 0.3 })).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('startWorker, threads pool', () => {
  it('runs the tasks in the pool\'s threads, the app module registering celery.ping through testApp', async () => {
    const { app, add, whichThread } = await import('./fixtures/testing-app.js');
    apps.push(app);
    await started(app, { pool: 'threads', concurrency: 2, appModule: fixture('testing-app.ts') });
    expect(await (await add.delay(1, 2)).get({ timeout: 10 })).toBe(3);
    const thread = await (await whichThread.delay()).get({ timeout: 10 });
    expect(thread).not.toBe(threadId);
  });

  it('fails the ping check with a hint when the app module lacks celery.ping', async () => {
    const { app } = await import('./fixtures/testing-app-no-ping.js');
    apps.push(app);
    useMemoryBroker(app);
    const error = await startWorker(app, { pool: 'threads', concurrency: 1, appModule: fixture('testing-app-no-ping.ts'), loglevel: 'critical' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PingCheckError);
    expect((error as Error).message).toMatch(/^celery\.ping failed on worker \S+: NotRegistered: .*call registerPing\(app\) there \(testApp does\)/);
    expect(startedWorkers[0]!.state).toBe('stopped');
  });
});
