/**
 * Heart step (Celery `celery/worker/consumer/heart.py` + `celery/worker/heartbeat.py`): sends
 * `worker-online` at start, `worker-heartbeat` every `interval` seconds (2.0) and `worker-offline`
 * at stop, each with `freq` (the interval, s), `active` (tasks running), `processed` (tasks
 * finished), `loadavg` (1/5/15 min, 2 decimals) and `sw_ident`/`sw_ver`/`sw_sys`. Monitors count a
 * worker alive for `freq × 2` after its last heartbeat. Not to be confused with AMQP heartbeats.
 *
 * It requires the Tasks and Control steps: `worker-online` goes out once the task queues are consumed
 * and the pidbox node listens, so a monitor that inspects a worker on its `worker-online` (Flower
 * does) gets an answer; `worker-offline` goes out first at stop, before the worker stops answering.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { Step } from '../../bootsteps.js';
import type { Consumer } from '../consumer.js';
import { ControlStep } from './control.js';
import { EventsStep } from './events.js';
import { TasksStep } from './tasks.js';

const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

/** What the worker reports about its software (Celery `SOFTWARE_INFO`). */
export const SOFTWARE_INFO = Object.freeze({ sw_ident: 'cq', sw_ver: version, sw_sys: os.type() });

/** The heartbeat timer of one consumer (Celery `Heart`). */
export class Heart {
  private timer: NodeJS.Timeout | null = null;

  /** @param interval seconds between heartbeats; default 2.0. */
  constructor(private readonly c: Consumer, readonly interval = 2.0) {}

  /** Sends one `worker-*` event now with the current counters (Celery `Heart._send`). */
  send(type: 'worker-online' | 'worker-heartbeat' | 'worker-offline', freq = this.interval): Promise<void> {
    const w = this.c.worker;
    const dispatcher = this.c.eventDispatcher;
    if (!dispatcher) return Promise.resolve();
    return dispatcher.send(type, {
      freq, active: w.activeRequests.size, processed: w.stats.processed,
      loadavg: os.loadavg().map((n) => Math.round(n * 100) / 100), ...SOFTWARE_INFO,
    });
  }

  start(): Promise<void> {
    this.timer = setInterval(() => {
      this.send('worker-heartbeat').catch((err: unknown) => this.c.worker.log.error(`could not send a heartbeat: ${String(err)}`));
    }, this.interval * 1000);
    this.timer.unref();
    return this.send('worker-online');
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.send('worker-offline');
  }
}

export class HeartStep extends Step<Consumer> {
  static override readonly label = 'Heart';
  static override readonly requires = [EventsStep, TasksStep, ControlStep];

  /** Out with the worker option `withoutHeartbeat` (`--without-heartbeat`). */
  override includeIf(c: Consumer): boolean {
    return !c.worker.options.withoutHeartbeat;
  }

  override async start(c: Consumer): Promise<void> {
    c.heart = new Heart(c);
    await c.heart.start();
  }

  override async stop(c: Consumer): Promise<void> {
    const heart = c.heart;
    c.heart = null;
    await heart?.stop().catch((err: unknown) => c.worker.log.error(`could not send worker-offline: ${String(err)}`));
  }
}
