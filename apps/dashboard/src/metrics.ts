/**
 * Prometheus metrics (prom-client, one private registry per dashboard), with Flower's names, labels
 * and rules (`flower/events.py` `PrometheusMetrics`):
 *
 * | metric | type | labels | from |
 * |---|---|---|---|
 * | `flower_events_total` | counter | worker, type, task | every task event |
 * | `flower_task_runtime_seconds` | histogram | worker, task | `runtime` of succeeded/failed |
 * | `flower_task_prefetch_time_seconds` | gauge | worker, task | started − received; 0 once done |
 * | `flower_worker_prefetched_tasks` | gauge | worker, task | +1 received, −1 started/revoked/rejected before start |
 * | `flower_worker_online` | gauge | worker | 1 on online/heartbeat, 0 on offline |
 * | `flower_worker_number_of_currently_executing_tasks` | gauge | worker | `active` of heartbeats |
 *
 * and cq's own:
 *
 * | `cq_task_wait_seconds` | histogram | worker, task | started − sent (needs `task_send_sent_event`) |
 * | `cq_queue_length` | gauge | queue | messages ready, read from the broker at each scrape |
 *
 * Prefetch metrics skip tasks with an ETA, as Flower does. Buckets are prom-client's defaults, which
 * are Python prometheus_client's (5 ms … 10 s).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CeleryEvent, TaskState } from '@cq/celery';

/** Messages waiting in one queue (Flower `/api/queues/length` item). */
export interface QueueLength {
  name: string;
  messages: number;
}

export class DashboardMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'worker' | 'type' | 'task'>;
  private readonly runtime: Histogram<'worker' | 'task'>;
  private readonly prefetchTime: Gauge<'worker' | 'task'>;
  private readonly prefetched: Gauge<'worker' | 'task'>;
  private readonly online: Gauge<'worker'>;
  private readonly executing: Gauge<'worker'>;
  private readonly wait: Histogram<'worker' | 'task'>;

  /** @param queueLengths read at each scrape for `cq_queue_length`; a failure leaves the gauge empty. */
  constructor(queueLengths: () => Promise<QueueLength[]>) {
    const registers = [this.registry];
    this.events = new Counter({ name: 'flower_events_total', help: 'Number of events', labelNames: ['worker', 'type', 'task'], registers });
    this.runtime = new Histogram({ name: 'flower_task_runtime_seconds', help: 'Task runtime', labelNames: ['worker', 'task'], registers });
    this.prefetchTime = new Gauge({
      name: 'flower_task_prefetch_time_seconds', help: 'The time the task spent waiting at the celery worker to be executed.',
      labelNames: ['worker', 'task'], registers,
    });
    this.prefetched = new Gauge({ name: 'flower_worker_prefetched_tasks', help: 'Number of tasks of given type prefetched at a worker', labelNames: ['worker', 'task'], registers });
    this.online = new Gauge({ name: 'flower_worker_online', help: 'Worker online status', labelNames: ['worker'], registers });
    this.executing = new Gauge({ name: 'flower_worker_number_of_currently_executing_tasks', help: 'Number of tasks currently executing at a worker', labelNames: ['worker'], registers });
    this.wait = new Histogram({ name: 'cq_task_wait_seconds', help: 'Time from publish (task-sent) to start (task-started)', labelNames: ['worker', 'task'], registers });
    new Gauge({
      name: 'cq_queue_length', help: 'Messages ready in a task queue', labelNames: ['queue'], registers,
      async collect() {
        this.reset();
        const lengths = await queueLengths().catch(() => [] as QueueLength[]);
        for (const q of lengths) this.set({ queue: q.name }, q.messages);
      },
    });
  }

  /** Counts a task event once applied to `task` (Flower `observe_task`). */
  observeTask(worker: string, event: CeleryEvent, task: TaskState): void {
    const type = event.type;
    const name = (typeof event['name'] === 'string' && event['name']) || task.name || '';
    this.events.inc({ worker, type, task: name });
    const runtime = Number(event['runtime']);
    if (runtime) this.runtime.observe({ worker, task: name }, runtime);
    if (type === 'task-started' && task.started && task.sent) this.wait.observe({ worker, task: name }, Math.max(task.started - task.sent, 0));
    if (task.eta || !task.received) return;
    const labels = { worker, task: name };
    if (type === 'task-received') this.prefetched.inc(labels);
    else if (type === 'task-started' && task.started) {
      this.prefetchTime.set(labels, task.started - task.received);
      this.prefetched.dec(labels);
    } else if ((type === 'task-succeeded' || type === 'task-failed') && task.started) this.prefetchTime.set(labels, 0);
    else if ((type === 'task-revoked' || type === 'task-rejected') && !task.started) this.prefetched.dec(labels);
  }

  /** Follows a worker event (Flower `observe_worker`). */
  observeWorker(worker: string, event: CeleryEvent): void {
    if (event.type === 'worker-online' || event.type === 'worker-heartbeat') this.online.set({ worker }, 1);
    else if (event.type === 'worker-offline') this.online.set({ worker }, 0);
    if (event.type === 'worker-heartbeat' && typeof event['active'] === 'number') this.executing.set({ worker }, event['active']);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
