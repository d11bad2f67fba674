/**
 * An embedded worker for an app's own tests (Celery's `celery.contrib.testing.worker.start_worker`):
 * start a {@link Worker} in this process, prove it answers `celery.ping`, and stop it cleanly.
 *
 * ```ts
 * await using worker = await startWorker(app);         // stopped when the block ends, even on a throw
 * expect(await (await add.delay(2, 3)).get({ timeout: 5 })).toBe(5);
 * ```
 *
 * As Celery's: pool `solo` and concurrency 1 by default, no heartbeat, mingle or gossip, a node name of
 * its own (`gen<pid>.<n>@<host>`), logging at `WORKER_LOGLEVEL` (default `error`). The ping is routed
 * as the app routes any task, so a worker that does not consume the queue the app sends to fails
 * here, with a {@link PingCheckError} saying so, instead of at the first test's timeout. Stopping is a
 * warm shutdown (running tasks finish); after `shutdownTimeout` s it turns cold (they are cancelled)
 * and {@link ShutdownTimeoutError} reports them, where Celery raises `RuntimeError`.
 * No test framework is imported: it works under vitest, jest or `node:test` alike.
 */
import { createLogger, resolveRoute, type Celery } from '@cq/app';
import { redact } from '@cq/kombu';
import { PingCheckError, ShutdownTimeoutError } from '../errors.js';
import { Worker, type WorkerOptions } from '../worker.js';
import { PING_TASK, registerPing } from './ping.js';
import { test_worker_started, test_worker_starting, test_worker_stopped } from './signals.js';

export interface StartWorkerOptions extends WorkerOptions {
  /** Default `'solo'` (Celery's `start_worker`); `'async'`, or `'threads'`/`'prefork'` with `appModule`. */
  pool?: WorkerOptions['pool'];
  /** Default 1 (Celery's `start_worker`). */
  concurrency?: number;
  /** Send `celery.ping` and wait for `'pong'` before returning (Celery `perform_ping_check`). Default true. */
  performPingCheck?: boolean;
  /** Seconds to wait for the ping's result (Celery `ping_task_timeout`). Default 10. */
  pingTaskTimeout?: number;
  /** Seconds `stop()` waits for running tasks before cancelling them (Celery `shutdown_timeout`). Default 10. */
  shutdownTimeout?: number;
  /** Celery level name for the worker's log (Celery `loglevel`). Default `WORKER_LOGLEVEL` from the environment, else `error`. Ignored with `log`. */
  loglevel?: string;
}

let started = 0;

/**
 * A worker started by {@link startWorker}. `stop()` (or leaving an `await using` block, through
 * `Symbol.asyncDispose`) stops it once; later calls return the same promise.
 */
export class TestWorker implements AsyncDisposable {
  private stopping: Promise<void> | null = null;

  constructor(readonly worker: Worker, private readonly shutdownTimeout: number) {}

  get app(): Celery {
    return this.worker.app;
  }

  get hostname(): string {
    return this.worker.hostname;
  }

  /**
   * Warm shutdown; after `shutdownTimeout` s a cold one, then rejects with {@link ShutdownTimeoutError}
   * naming the cancelled tasks. Sends `test_worker_stopped` either way. Does not close the app.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private async shutdown(): Promise<void> {
    const { worker } = this;
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), this.shutdownTimeout * 1000); });
      if ((await Promise.race([worker.shutdown('warm').then(() => 'stopped' as const), late])) === 'stopped') return;
      const running = [...worker.activeRequests].map((r) => `${r.fields.name}[${r.id}]`);
      await worker.shutdown('cold');
      throw new ShutdownTimeoutError(`worker ${worker.hostname} did not stop within shutdownTimeout (${this.shutdownTimeout} s): `
        + `cancelled ${running.length} running task(s)${running.length ? `: ${running.join(', ')}` : ''}; `
        + 'raise shutdownTimeout if your tasks take longer', running);
    } finally {
      clearTimeout(timer);
      test_worker_stopped.send(worker.app, { worker });
    }
  }
}

/**
 * Starts a worker for `app` in this process and resolves once it consumes and (with
 * `performPingCheck`) has answered `celery.ping`, which is registered in `app` for that. Options
 * ({@link StartWorkerOptions}): every {@link WorkerOptions} field (`queues`, `hostname`, `appModule`,
 * ...) plus `pool` (default `solo`), `concurrency` (1), `performPingCheck` (true), `pingTaskTimeout`
 * (10 s), `shutdownTimeout` (10 s) and `loglevel`.
 *
 * @throws PingCheckError when the app has no result backend to read the ping from, when the ping is
 *   not answered within `pingTaskTimeout` (the message names the ping's queue and the worker's), or
 *   when it fails; the worker is stopped first.
 * @throws the Worker's own errors (`WorkerError` for a bad option, `PoolStartError`, a broker's
 *   `TransportError`) when it cannot start; nothing is left running.
 */
export async function startWorker(app: Celery, options: StartWorkerOptions = {}): Promise<TestWorker> {
  const { performPingCheck = true, pingTaskTimeout = 10, shutdownTimeout = 10, loglevel, ...workerOptions } = options;
  test_worker_starting.send(app, {});
  if (performPingCheck && app.resultBackendUrl === null) {
    throw new PingCheckError('the ping check reads the result of celery.ping, and this app has no result backend: '
      + 'configure result_backend (useMemoryBroker/testApp give cache+memory://) or pass performPingCheck: false');
  }
  if (performPingCheck) registerPing(app);
  const worker = new Worker(app, {
    ...workerOptions,
    pool: workerOptions.pool ?? 'solo',
    concurrency: workerOptions.concurrency ?? 1,
    hostname: workerOptions.hostname ?? `gen${process.pid}.${++started}@%h`,
    withoutHeartbeat: workerOptions.withoutHeartbeat ?? true,
    withoutMingle: workerOptions.withoutMingle ?? true,
    withoutGossip: workerOptions.withoutGossip ?? true,
    log: workerOptions.log ?? createLogger({ level: loglevel ?? process.env['WORKER_LOGLEVEL'] ?? 'error' }),
  });
  const handle = new TestWorker(worker, shutdownTimeout);
  await worker.start(); // a step failing to start stops the started ones before this rejects
  test_worker_started.send(app, { worker, consumer: worker.consumer });
  if (performPingCheck) {
    try {
      await pingCheck(worker, pingTaskTimeout);
    } catch (error) {
      await handle.stop().catch(() => undefined);
      throw error;
    }
  }
  return handle;
}

/** Sends `celery.ping` as the app routes it and waits `timeout` s for `'pong'`; throws {@link PingCheckError}. */
async function pingCheck(worker: Worker, timeout: number): Promise<void> {
  const app = worker.app;
  const ping = registerPing(app);
  let answer: unknown;
  try {
    // `expires`: a ping no worker took is dropped (REVOKED) by the next worker instead of run.
    answer = await (await ping.applyAsync([], { expires: timeout })).get({ timeout });
  } catch (error) {
    throw new PingCheckError(pingFailure(worker, timeout, error), { cause: error });
  }
  if (answer !== 'pong') throw new PingCheckError(`${PING_TASK} answered ${JSON.stringify(answer)} instead of "pong": is another task registered under that name?`);
}

function pingFailure(worker: Worker, timeout: number, error: unknown): string {
  const consumed = worker.queues.map((q) => q.name);
  const name = error instanceof Error ? error.name : 'Error';
  if (name !== 'TimeoutError') {
    const hint = name === 'NotRegistered'
      ? `: the pool's children load the app from its module, so call registerPing(app) there (testApp does) or pass performPingCheck: false`
      : '';
    return `${PING_TASK} failed on worker ${worker.hostname}: ${name}: ${error instanceof Error ? error.message : String(error)}${hint}`;
  }
  const ping = registerPing(worker.app);
  const queue = resolveRoute(worker.app.conf, {}, ping.route(), PING_TASK, [], {}, { queue: (q) => worker.app.queue(q), task: ping }).queue;
  const where = `${PING_TASK} was sent to queue '${queue}' on ${redact(worker.app.broker.url)} and worker ${worker.hostname} consumes ${consumed.map((q) => `'${q}'`).join(', ')}`;
  const hint = consumed.includes(queue)
    ? 'raise pingTaskTimeout if the worker is slow to start, or pass performPingCheck: false'
    : `the worker does not consume '${queue}', where the app sends its tasks: give startWorker { queues: [...] } including it, or route the tasks to a queue the worker consumes`;
  return `no answer to ${PING_TASK} within pingTaskTimeout (${timeout} s): ${where}; ${hint}`;
}
