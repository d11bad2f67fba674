/**
 * Control step (Celery `celery/worker/consumer/control.py` + `celery/worker/pidbox.py`): the
 * worker's pidbox node. It consumes `<nodename>.celery.pidbox` on its own channel and answers
 * Celery's remote control commands (`ping`, `stats`, `active`, `revoke`, `rate_limit`, ...; see
 * @cq/control) and the custom ones registered with `controlPanel(app)` / `new Control(app).command()`.
 *
 * It also owns the worker's revoked set (`c.revoked`, checked by the task strategy when a task is
 * received and when an ETA task comes due) and, with the `worker_state_db` setting (the CLI's
 * `--statedb <file>`), keeps it in a file across restarts (Celery's `Persistent`).
 * Revoked ids arriving in the short window between the Tasks step consuming and this step
 * starting are still caught when an ETA task comes due, but not for tasks that run at once.
 */
import { performance } from 'node:perf_hooks';
import { Exchange, Queue, type Channel } from '@cq/kombu';
import { task_prerun } from '@cq/app';
import {
  LamportClock, Mailbox, Node, RevokedSet, StateDb, builtinPanel, controlPanel, type ControlState, type RequestInfo,
} from '@cq/control';
import { Step } from '../../bootsteps.js';
import { ProcessPool } from '../../process-pool.js';
import type { Request } from '../../request.js';
import type { Consumer } from '../consumer.js';
import { TasksStep } from './tasks.js';

/** Per worker: the revoked set, the clock and the node (reachable for tests and other steps). */
export interface ControlHandle {
  revoked: RevokedSet;
  clock: LamportClock;
  node: Node | null;
}

const handles = new WeakMap<Consumer, ControlHandle>();

/** The Control step's state of a consumer, or undefined when the step is not in its blueprint. */
export function controlOf(c: Consumer): ControlHandle | undefined {
  return handles.get(c);
}

export class ControlStep extends Step<Consumer> {
  static override readonly label = 'Control';
  static override readonly requires = [TasksStep];
  private readonly handle: ControlHandle = { revoked: new RevokedSet(), clock: new LamportClock(), node: null };
  private channel: Channel | null = null;
  private statedb: StateDb | null = null;
  private readonly totals = new Map<string, number>();
  private unhookPrerun: (() => void) | null = null;
  private startedAt = performance.now();

  override create(c: Consumer): void {
    handles.set(c, this.handle);
  }

  override async start(c: Consumer): Promise<void> {
    const w = c.worker;
    this.startedAt = performance.now();
    const file = (c.app.conf as Record<string, unknown>)['worker_state_db'];
    if (typeof file === 'string' && file !== '') {
      this.statedb = new StateDb(file, this.handle.revoked, this.handle.clock);
      this.statedb.open();
    }
    if (c.strategy) c.strategy.revoked = this.handle.revoked;
    this.unhookPrerun = task_prerun.connect(({ task }) => {
      if (task.app === c.app) this.totals.set(task.name, (this.totals.get(task.name) ?? 0) + 1);
    });
    const panel = builtinPanel().extend(controlPanel(c.app));
    this.handle.node = new Node(Mailbox.fromApp(c.app), this.state(c), panel, {
      onShutdown: () => setImmediate(() => void w.shutdown('warm')),
    });
    this.channel = await c.connection!.channel();
    await this.handle.node.listen(this.channel);
  }

  override async stop(c: Consumer): Promise<void> {
    await this.handle.node?.close();
    this.handle.node = null;
    this.unhookPrerun?.();
    this.unhookPrerun = null;
    await this.channel?.close().catch(() => undefined);
    this.channel = null;
    try {
      this.statedb?.close();
    } catch (err) {
      c.worker.log.error(String(err));
    }
    this.statedb = null;
  }

  override info(c: Consumer): Record<string, unknown> {
    return { revoked: this.handle.revoked.size, statedb: (c.app.conf as Record<string, unknown>)['worker_state_db'] ?? null };
  }

  /** The worker as the commands see it. */
  private state(c: Consumer): ControlState {
    const w = c.worker;
    const step = this;
    const requestInfo = (r: Request, safe = false): Record<string, unknown> => ({
      id: r.id, name: r.fields.name,
      args: safe ? r.fields.argsrepr : r.fields.args, kwargs: safe ? r.fields.kwargsrepr : r.fields.kwargs,
      type: r.fields.name, hostname: w.hostname,
      time_start: r.startedAt ? (performance.timeOrigin + r.startedAt) / 1000 : null,
      acknowledged: r.message.acknowledged,
      delivery_info: {
        exchange: r.message.deliveryInfo.exchange ?? '', routing_key: r.message.deliveryInfo.routing_key ?? '',
        priority: r.message.properties.priority ?? null, redelivered: r.message.redelivered,
      },
      worker_pid: r.startedAt ? process.pid : null,
    });
    const active = (): Request[] => [...w.activeRequests];
    const reserved = (): Request[] => [...w.reservedRequests].filter((r) => !w.activeRequests.has(r));
    const scheduled = (): Request[] => [...(c.strategy?.scheduled.values() ?? [])].map((h) => h.item);
    const queueDict = (q: Queue): Record<string, unknown> => ({
      name: q.name,
      exchange: {
        name: q.exchange.name, type: q.exchange.type, arguments: q.exchange.arguments, durable: q.exchange.durable,
        passive: false, auto_delete: q.exchange.autoDelete, delivery_mode: q.exchange.deliveryMode ?? null, no_declare: false,
      },
      routing_key: q.routingKey, queue_arguments: Object.keys(q.arguments).length > 0 ? q.arguments : null,
      binding_arguments: null, consumer_arguments: null, durable: q.durable, exclusive: q.exclusive, auto_delete: q.autoDelete,
      no_ack: false, alias: null, bindings: q.bindings.map((b) => ({ exchange: b.exchange.name, routing_key: b.routingKey, arguments: b.arguments })),
      no_declare: null,
      expires: num(q.arguments['x-expires'], 1000), message_ttl: num(q.arguments['x-message-ttl'], 1000),
      max_length: q.arguments['x-max-length'] ?? null, max_length_bytes: q.arguments['x-max-length-bytes'] ?? null,
      max_priority: q.maxPriority ?? null,
    });
    // Celery `_update_prefetch_count`: the prefetch count follows pool_grow/pool_shrink.
    const followPool = (delta: number): void => void c.qos?.updatePrefetchCount(delta, w.options.prefetchMultiplier ?? c.app.conf.worker_prefetch_multiplier)
      .catch((err: unknown) => w.log.error(`could not change the prefetch count: ${String(err)}`));
    const pool = w.pool as typeof w.pool & { grow?(n: number): void; shrink?(n: number): void; autoscale?(max: number | null, min: number | null): [number, number] };
    return {
      app: c.app, hostname: w.hostname, clock: this.handle.clock, revoked: this.handle.revoked,
      stats: () => ({
        total: Object.fromEntries(step.totals),
        pid: process.pid,
        clock: String(step.handle.clock.value),
        uptime: Math.round((performance.now() - step.startedAt) / 1000),
        pool: { implementation: pool.name, 'max-concurrency': pool.limit, processes: pool instanceof ProcessPool ? pool.pids : [process.pid], 'max-tasks-per-child': w.options.maxTasksPerChild ?? null, 'put-guarded-by-semaphore': false, timeouts: [w.options.softTimeLimit ?? 0, w.options.timeLimit ?? 0], writes: {} },
        broker: brokerInfo(c),
        prefetch_count: c.qos?.value ?? w.prefetchCount,
        rusage: rusage(),
      }),
      active: (safe) => active().map((r) => requestInfo(r, safe)),
      reserved: () => reserved().map((r) => requestInfo(r)),
      scheduled: () => [...(c.strategy?.scheduled.values() ?? [])].map((h) => ({
        eta: new Date(h.eta).toISOString().replace('Z', '+00:00'), priority: 6, request: requestInfo(h.item),
      })),
      findRequests: (ids) => {
        const wanted = new Set(ids);
        const out: RequestInfo[] = [];
        for (const r of active()) if (wanted.has(r.id)) out.push({ id: r.id, state: 'active', info: requestInfo(r) });
        for (const r of [...reserved(), ...scheduled()]) if (wanted.has(r.id)) out.push({ id: r.id, state: 'reserved', info: requestInfo(r) });
        return out;
      },
      discard: async (ids) => {
        const wanted = new Set(ids);
        for (const r of reserved()) if (wanted.has(r.id)) await r.discardRevoked();
      },
      terminate: async (id, signal) => {
        const request = active().find((r) => r.id === id);
        if (!request) return false;
        await request.revokeTerminate(signal);
        return true;
      },
      resetRateLimit: (name) => {
        const rate = c.app.tasks.get(name)?.options.rateLimit ?? null;
        c.strategy?.rateLimiter.setRate(name, c.app.conf.worker_disable_rate_limits ? null : rate);
      },
      addConsumer: async (name, o) => {
        const queue = o.exchange
          ? new Queue(name, { exchange: new Exchange(o.exchange, { type: (o.exchangeType ?? 'direct') as 'direct' }), routingKey: o.routingKey ?? name })
          : c.app.queue(name);
        if (!c.taskConsumer) throw new Error('the worker is not consuming');
        if (c.taskConsumer.consuming.includes(name)) return;
        await c.taskConsumer.addQueue(queue);
        c.worker.log.info(`Started consuming from ${name}`);
      },
      cancelConsumer: async (name) => {
        if (!c.taskConsumer) return;
        await c.taskConsumer.cancelByQueue(name);
        const i = c.taskConsumer.queues.findIndex((q) => q.name === name);
        if (i >= 0) c.taskConsumer.queues.splice(i, 1);
      },
      activeQueues: () => (c.taskConsumer?.queues ?? []).filter((q) => c.taskConsumer!.consuming.includes(q.name)).map(queueDict),
      poolGrow: (n) => {
        if (w.options.autoscale) throw new Error('pool_grow is not supported with autoscale. Adjust autoscale range instead.');
        if (!pool.grow) throw new Error(`NotImplementedError: the ${pool.name} pool cannot grow`);
        pool.grow(n);
        followPool(n);
      },
      poolShrink: (n) => {
        if (w.options.autoscale) throw new Error('pool_shrink is not supported with autoscale. Adjust autoscale range instead.');
        if (!pool.shrink) throw new Error(`NotImplementedError: the ${pool.name} pool cannot shrink`);
        pool.shrink(n);
        followPool(-n);
      },
      autoscale: (max, min) => {
        if (!w.options.autoscale || !pool.autoscale) throw new Error('Autoscale not enabled');
        return pool.autoscale(max, min);
      },
      setTaskEvents: (enabled) => {
        // Celery toggles the `task` group of the dispatcher (an empty group set sends every group).
        const groups = c.eventDispatcher?.groups;
        if (!groups) throw new Error('events are not enabled in this worker');
        const on = groups.size === 0 || groups.has('task');
        if (on === enabled) return false;
        if (enabled) groups.add('task');
        else if (groups.size === 0) groups.add('worker');
        else groups.delete('task');
        return true;
      },
      heartbeat: () => {
        c.heart?.send('worker-heartbeat', 5).catch((err: unknown) => w.log.error(`could not send a heartbeat: ${String(err)}`));
      },
      shutdown: () => setImmediate(() => void w.shutdown('warm')),
    };
  }
}

function num(value: unknown, div: number): number | null {
  return typeof value === 'number' ? value / div : null;
}

function brokerInfo(c: Consumer): Record<string, unknown> {
  const url = c.connection?.url;
  return {
    hostname: url?.hostname ?? null, userid: url?.userid ?? null, virtual_host: url?.virtualHost ?? null, port: url?.port ?? null,
    insist: false, ssl: url ? /s$/.test(url.transport) : false, transport: url?.transport ?? null, connect_timeout: 4,
    transport_options: c.app.conf.broker_transport_options, login_method: null, uri_prefix: null, heartbeat: 120.0,
    failover_strategy: 'round-robin', alternates: [],
  };
}

function rusage(): Record<string, number> {
  const u = process.resourceUsage();
  return {
    utime: u.userCPUTime / 1e6, stime: u.systemCPUTime / 1e6, maxrss: u.maxRSS, ixrss: 0, idrss: 0, isrss: 0,
    minflt: u.minorPageFault, majflt: u.majorPageFault, nswap: u.swappedOut, inblock: u.fsRead, oublock: u.fsWrite,
    msgsnd: u.ipcSent, msgrcv: u.ipcReceived, nsignals: u.signalsCount, nvcsw: u.voluntaryContextSwitches, nivcsw: u.involuntaryContextSwitches,
  };
}
