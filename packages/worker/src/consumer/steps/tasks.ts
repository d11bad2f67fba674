/**
 * Tasks step (Celery `celery/worker/consumer/tasks.py`): connects the result backend, builds the task
 * strategy and consumes the worker's queues (`c.taskConsumer`, `c.strategy`). `stop` cancels
 * consuming and gives the ETA tasks held in memory back to the broker; tasks already handed to the
 * pool are the Pool step's.
 */
import { Consumer as KombuConsumer } from '@cq/kombu';
import { Step } from '../../bootsteps.js';
import { runsInChildren } from '../../pool-capabilities.js';
import { TaskStrategy } from '../../strategy.js';
import type { Consumer } from '../consumer.js';
import { QosStep } from './qos.js';
import { workerSettings } from '../../settings.js';
import { releaseWhenReady } from '../../deduplication.js';

export class TasksStep extends Step<Consumer> {
  static override readonly label = 'Tasks';
  static override readonly requires = [QosStep];

  override async start(c: Consumer): Promise<void> {
    const w = c.worker;
    c.backend = await c.app.backend();
    const strategy = new TaskStrategy(c.app, w.pool, {
      app: c.app, backend: c.backend, hostname: w.hostname, log: w.log,
      timeLimit: w.options.timeLimit ?? null, softTimeLimit: w.options.softTimeLimit ?? null,
      executor: runsInChildren(w.pool) ? w.pool : null,
      onReserved: (request) => w.reservedRequests.add(request),
      onReleased: (request) => w.reservedRequests.delete(request),
      onStart: (request) => {
        w.reservedRequests.delete(request);
        w.activeRequests.add(request);
        // `inspect stats` totals (Celery's `state.total_count`), kept by the Control step's state.
        c.control?.countStarted(request.task.name);
      },
      onDone: (request, outcome) => {
        w.reservedRequests.delete(request);
        w.activeRequests.delete(request);
        w.stats.processed++;
        if (outcome === 'SUCCESS') w.stats.succeeded++;
        else if (outcome === 'FAILURE') w.stats.failed++;
        else if (outcome === 'RETRY') w.stats.retried++;
        // Enqueue-time deduplication, simple mode: the next call may send a new task (deduplication.ts).
        void releaseWhenReady(c.app, request, outcome, w.log);
      },
    }, {
      consumer: c,
      badMessages: w.badMessages,
      basePrefetch: w.prefetchCount,
      adjustPrefetch: (delta) => {
        if (!c.qos) return;
        if (delta > 0) c.qos.incrementEventually(delta);
        else c.qos.decrementEventually(-delta);
        c.qos.update().catch((err: unknown) => w.log.error(`could not change the prefetch count: ${String(err)}`));
      },
    });
    c.strategy = strategy;
    c.taskConsumer = new KombuConsumer(c.channel!, {
      queues: w.queues,
      // Messages are handed over undecoded; the strategy decodes them against accept_content so a
      // refused or broken body is logged and dropped the way Celery does.
      accept: c.app.conf.accept_content,
      serializers: c.app.serializers,
      maxBodySize: maxBodySize(c),
      onMessage: (message) => strategy.onMessage(message),
      onCallbackError: (err, message) => w.log.error(`error handling message ${message.deliveryTag}: ${String(err)}`),
    });
    await c.taskConsumer.consume();
  }

  override async stop(c: Consumer): Promise<void> {
    await c.taskConsumer?.cancel();
    c.worker.restored += (await c.strategy?.releaseScheduled()) ?? 0;
  }

  override info(c: Consumer): Record<string, unknown> {
    return { queues: c.worker.queues.map((q) => q.name) };
  }
}

/** `worker_max_body_size` for the kombu consumer: bytes, or null for no limit (a non-finite setting). */
function maxBodySize(c: Consumer): number | null {
  const max = workerSettings(c.app.conf).worker_max_body_size;
  return Number.isFinite(max) ? max : null;
}
