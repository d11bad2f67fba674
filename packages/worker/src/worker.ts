/**
 * The worker (first cut): connect, consume the app's queues, run tasks in a pool, store results,
 * ack. `stop()` is Celery's warm shutdown: stop consuming, let running tasks finish, and give every
 * prefetched or ETA-held message back to the broker.
 *
 * ```ts
 * const worker = new Worker(app, { pool: 'async', concurrency: 50 });
 * await worker.start();
 * process.on('SIGTERM', () => void worker.stop());
 * ```
 */
import { Consumer, type Channel, type Connection, type Queue } from '@cq/kombu';
import type { Celery } from '@cq/app';
import type { Backend } from '@cq/backend';
import type { Logger } from '@cq/app';
import { WorkerStateError } from './errors.js';
import { nodename } from './hostname.js';
import { createPool, type Pool, type PoolName } from './pool.js';
import { TaskStrategy } from './strategy.js';

export interface WorkerOptions {
  /** Node name; `%h` expands to the host name. Default `celery@%h` (Celery `-n`). */
  hostname?: string;
  /** `solo` or `async`. Default `async`. */
  pool?: PoolName;
  /** Tasks run at once (`-c`). Default: `worker_concurrency`, else 100 for async, 1 for solo. */
  concurrency?: number;
  /** Queue names to consume (`-Q`). Default: the app's `task_queues` or `task_default_queue`. */
  queues?: string[];
  /** Default: `worker_prefetch_multiplier` (4). Prefetch = concurrency × multiplier; 0 = unlimited. */
  prefetchMultiplier?: number;
  /** Worker-wide hard/soft time limits in seconds (`--time-limit`, `--soft-time-limit`). */
  timeLimit?: number;
  softTimeLimit?: number;
  log?: Logger;
}

export type WorkerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Worker {
  readonly hostname: string;
  readonly pool: Pool;
  readonly queues: Queue[];
  readonly prefetchCount: number;
  state: WorkerState = 'new';
  /** Tasks finished since start, by outcome. */
  readonly stats = { processed: 0, succeeded: 0, failed: 0, retried: 0 };
  private connection: Connection | null = null;
  private channel: Channel | null = null;
  private consumer: Consumer | null = null;
  private strategy: TaskStrategy | null = null;
  private backend: Backend | null = null;
  private extraPrefetch = 0;
  private readonly log: Logger;

  constructor(readonly app: Celery, private readonly options: WorkerOptions = {}) {
    this.hostname = nodename(options.hostname);
    const poolName = options.pool ?? 'async';
    const concurrency = options.concurrency ?? app.conf.worker_concurrency ?? (poolName === 'solo' ? 1 : 100);
    this.pool = createPool(poolName, concurrency);
    this.queues = (options.queues && options.queues.length > 0 ? options.queues : null)?.map((q) => app.queue(q)) ?? app.defaultQueues();
    const multiplier = options.prefetchMultiplier ?? app.conf.worker_prefetch_multiplier;
    this.prefetchCount = multiplier > 0 ? this.pool.limit * multiplier : 0;
    this.log = options.log ?? app.log;
  }

  /** Connects to the broker and the result backend, declares the queues and starts consuming. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new WorkerStateError(`worker already ${this.state}: create a new Worker to start again`);
    this.state = 'starting';
    this.backend = await this.app.backend();
    this.connection = this.app.connection();
    this.channel = await this.connection.channel();
    this.strategy = new TaskStrategy(this.app, this.pool, {
      app: this.app, backend: this.backend, hostname: this.hostname, log: this.log,
      timeLimit: this.options.timeLimit ?? null, softTimeLimit: this.options.softTimeLimit ?? null,
      onDone: (_req, outcome) => {
        this.stats.processed++;
        if (outcome === 'SUCCESS') this.stats.succeeded++;
        else if (outcome === 'FAILURE') this.stats.failed++;
        else if (outcome === 'RETRY') this.stats.retried++;
      },
    }, { adjustPrefetch: (delta) => this.adjustPrefetch(delta) });
    const strategy = this.strategy;
    this.consumer = new Consumer(this.channel, {
      queues: this.queues,
      // Messages are handed over undecoded; the strategy decodes them against accept_content so a
      // refused or broken body is logged and dropped the way Celery does.
      accept: this.app.conf.accept_content,
      prefetchCount: this.prefetchCount,
      onMessage: (message) => strategy.onMessage(message),
      onCallbackError: (err, message) => this.log.error(`error handling message ${message.deliveryTag}: ${String(err)}`),
    });
    await this.consumer.consume();
    this.state = 'running';
    this.log.info(`${this.hostname} ready.`);
  }

  /**
   * Warm shutdown (Celery's first SIGTERM/SIGINT): stop consuming, requeue tasks not started and
   * ETA tasks held, wait for running tasks to finish, then close connections.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    await this.consumer?.cancel();
    const held = (await this.strategy?.releaseScheduled()) ?? 0;
    const waiting = this.pool.takeWaiting();
    for (const job of waiting) await job.requeue?.();
    if (held + waiting.length > 0) this.log.info(`Restoring ${held + waiting.length} unacknowledged message(s)`);
    await this.pool.whenIdle();
    await this.connection?.close();
    this.state = 'stopped';
  }

  /** Names of registered tasks, sorted (the banner's `[tasks]`). */
  registeredTasks(): string[] {
    return [...this.app.tasks.keys()].sort();
  }

  /** ETA tasks held in memory now (`inspect scheduled`). */
  get scheduledCount(): number {
    return this.strategy?.scheduled.size ?? 0;
  }

  private adjustPrefetch(delta: number): void {
    if (this.prefetchCount === 0 || !this.channel) return;
    this.extraPrefetch = Math.max(0, this.extraPrefetch + delta);
    void this.channel.qos(this.prefetchCount + this.extraPrefetch);
  }
}
