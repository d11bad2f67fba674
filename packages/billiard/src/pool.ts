/**
 * `Pool` — the process pool (billiard `Pool`): children run jobs one at a time each; the pool is their
 * supervisor (replaces dead, recycled and retired children), task handler (queues jobs and sends each
 * to an idle child, or prefetches behind a busy child's running job: one for slow jobs, up to 64 for
 * sub-millisecond ones, taken back when the running job turns out slow), result handler (settles jobs
 * from the children's batched replies) and timeout handler (kills a child whose job passes its hard
 * time limit). `terminateJob` kills the child running one job (Celery's revoke with terminate);
 * `restart` replaces every child with one loading the entry afresh (Celery's `pool_restart`).
 * Generic: it knows nothing of Celery apps or brokers.
 */

import { constants } from 'node:os';
import { deferred } from '@cq/vine';
import type { Deferred } from '@cq/vine';
import { Autoscaler } from './autoscaler.js';
import type { AutoscaleOptions } from './autoscaler.js';
import { Child } from './child.js';
import type { ChildEvents, ChildSpec } from './child.js';
import { childSpec, entryPath } from './child-spec.js';
import { JobTerminatedError, PoolClosedError, PoolTerminatedError, TimeLimitExceeded, WorkerInitError, WorkerLostError } from './errors.js';
import { Fifo } from './fifo.js';
import { Job } from './job.js';
import { ProcessChild } from './process-child.js';
import type { ToChild, ToParent } from './protocol.js';
import { deserializeError } from './remote-error.js';
import { ThreadChild } from './thread-child.js';

/** `prefork`: child processes (`child_process.fork`); `threads`: `worker_threads`. Same API. */
export type PoolKind = 'prefork' | 'threads';

export interface PoolOptions {
  kind: PoolKind;
  /** Number of children (Celery `worker_concurrency`, `-c`). With `autoscale`, the pool starts at `autoscale.min`. */
  size?: number;
  /** Absolute path or file URL of the module each child loads; see `EntryModule`. */
  entry: string | URL;
  /** Passed to the entry's `onProcessInit()` and `init()` (structured clone). Default undefined. */
  initArgs?: unknown;
  /** Node options of the children. Default: the parent's `process.execArgv` (tsx added when needed). */
  execArgv?: string[];
  /** Environment of the children. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * The entry imports TypeScript modules of its own (a worker's `.ts` app module): the children get
   * tsx as for a `.ts` entry, preferably the tsx this process preloads (see the README). Default false.
   */
  typescript?: boolean;
  /** Replace a child after this many jobs (Celery `worker_max_tasks_per_child`). Default: never. */
  maxTasksPerChild?: number;
  /**
   * Replace a child whose memory passes this many KiB, checked after each job (Celery
   * `worker_max_memory_per_child`). A process measures its resident set; a thread, which shares the
   * process's, its own V8 heap plus external memory. Default: no limit.
   */
  maxMemoryPerChild?: number;
  /** Grow and shrink between `min` and `max` children with the load (Celery `--autoscale=max,min`). */
  autoscale?: AutoscaleOptions;
  /** A child began running a job (billiard's `on_process_started`/ACK). `pid` is the thread id for threads. */
  onJobStarted?(jobId: string | number, pid: number): void;
  /** A child loaded the entry and is ready for jobs (billiard `on_process_up`). */
  onChildStarted?(pid: number): void;
  /** A child exited, for whatever reason (billiard `on_process_down`). */
  onChildExit?(pid: number, exitCode: number | null, signal: NodeJS.Signals | null): void;
}

export interface ApplyOptions {
  /** Id given to `onJobStarted` and to the handler as `ctx.jobId`. Default: a pool sequence number. */
  jobId?: string | number;
  /** Seconds until the job's `ctx.signal` aborts with `SoftTimeLimitExceeded` (Celery `soft_time_limit`). */
  softTimeLimit?: number;
  /** Seconds until the child is killed and the job rejects with `TimeLimitExceeded` (Celery `time_limit`). */
  timeLimit?: number;
  /** Called when a child begins the job (billiard's accept callback); `pid` as in `onJobStarted`. */
  onStart?: (pid: number) => void;
}

type State = 'new' | 'running' | 'closing' | 'closed' | 'terminated';

/** A child idle while another's running job is this old (ms) takes the jobs waiting behind it. */
const REBALANCE_AFTER_MS = 10;

export class Pool {
  private state: State = 'new';
  private target: number;
  private seq = 0;
  private readonly children = new Set<Child>();
  /** Accepted jobs not yet sent to a child, in order. */
  private readonly waiting = new Fifo<Job>();
  private readonly spec: ChildSpec;
  private readonly events: ChildEvents;
  private readonly autoscaler: Autoscaler | undefined;
  private starting: Deferred<void> | undefined;
  private readonly stopped = deferred<void>();
  private rebalanceTimer: NodeJS.Timeout | undefined;
  /** The restart under way: the children started to replace the outgoing ones, not all ready yet. */
  private restarting: { fresh: Set<Child>; done: Deferred<void> } | undefined;
  /** A restart asked for while one was under way: runs after it. */
  private nextRestart: Promise<void> | undefined;

  constructor(private readonly options: PoolOptions) {
    const { autoscale, maxTasksPerChild, maxMemoryPerChild } = options;
    this.target = autoscale ? autoscale.min : (options.size ?? 1);
    if (!Number.isInteger(this.target) || this.target < 0) throw new RangeError(`pool size must be a whole number >= 0, got ${this.target}`);
    for (const [name, value] of Object.entries({ maxTasksPerChild, maxMemoryPerChild })) {
      if (value !== undefined && !(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
    }
    this.spec = childSpec({ ...options, entry: entryPath(options.entry) });
    this.events = {
      message: (child, batch) => this.onMessage(child, batch),
      exit: (child, code, signal) => this.onExit(child, code, signal),
      unsendable: (child, message, error) => this.onUnsendable(child, message, error),
    };
    if (autoscale) this.autoscaler = new Autoscaler(this, autoscale);
  }

  /** Children wanted now (changed by `grow`, `shrink` and the autoscaler). */
  get size(): number {
    return this.target;
  }

  /** Ids of the live children, retiring ones included. */
  get pids(): number[] {
    return [...this.children].map((c) => c.pid);
  }

  /** Jobs accepted and not yet begun (in the pool or prefetched in a child). */
  get queued(): number {
    let n = this.waiting.length;
    for (const child of this.children) n += child.jobs.filter((j) => !j.started).length;
    return n;
  }

  /**
   * Jobs the ready children can take without queueing in the pool: the sum of their `capacity`
   * (running plus prefetched; see `Child.capacity`). Before any child is ready, 2 per wanted child.
   */
  get capacity(): number {
    let n = 0;
    let ready = 0;
    for (const child of this.children) {
      if (!child.ready || child.retiring || child.outgoing) continue;
      ready++;
      n += child.capacity;
    }
    return ready === 0 ? this.target * 2 : n;
  }

  /** Jobs running now. */
  get active(): number {
    let n = 0;
    for (const child of this.children) n += child.jobs.filter((j) => j.started).length;
    return n;
  }

  /** Starts the children; resolves when they are ready. Rejects with `WorkerInitError` if one fails to start. */
  start(): Promise<void> {
    if (this.state !== 'new') return Promise.reject(new PoolClosedError(`pool cannot start: it is ${this.state}`));
    this.state = 'running';
    this.starting = deferred<void>();
    const started = this.starting.promise;
    this.maintain();
    this.checkStarted();
    this.autoscaler?.start();
    return started;
  }

  /**
   * Runs `payload` through the entry's handler in a child. Resolves with its result (structured clone);
   * rejects with the handler's error (re-created, `name` kept), `TimeLimitExceeded`, `WorkerLostError`,
   * `PoolClosedError` (after `close()`) or `PoolTerminatedError`, or a `DataCloneError` for a payload
   * that cannot be cloned. Jobs may be applied before `start()` resolves.
   */
  apply<R = unknown>(payload: unknown, options: ApplyOptions = {}): Promise<R> {
    if (this.state !== 'new' && this.state !== 'running') return Promise.reject(new PoolClosedError(`pool is ${this.state}`));
    for (const name of ['softTimeLimit', 'timeLimit'] as const) {
      const value = options[name];
      if (value !== undefined && !(value > 0)) return Promise.reject(new RangeError(`${name} must be > 0 seconds, got ${value}`));
    }
    const seq = ++this.seq;
    const job = new Job(seq, options.jobId ?? seq, payload, options.softTimeLimit, options.timeLimit, options.onStart);
    this.waiting.push(job);
    this.pump();
    return job.done.promise as Promise<R>;
  }

  /** Adds `n` children (billiard `grow`). */
  grow(n = 1): void {
    this.target += n;
    this.maintain();
  }

  /** Removes `n` children, idle ones first; a busy one finishes its jobs first (billiard `shrink`). */
  shrink(n = 1): void {
    this.target = Math.max(0, this.target - n);
    this.maintain();
  }

  /**
   * Terminates the job applied with `jobId` (billiard `terminate_job(pid, signal)`, what Celery's
   * `revoke(terminate=True, signal=...)` calls). Running: its child is sent `signal` (a process; a
   * thread is stopped with `worker.terminate()` whatever the signal) and replaced; the job rejects with
   * `JobTerminatedError` carrying the signal once the child is gone. Not started (waiting in the pool or
   * prefetched in a child): it is removed and rejects with `JobTerminatedError`, signal null; the child
   * is killed only if it began the job before hearing of it. A child that ignores the signal (SIGTERM
   * caught by the job) keeps running it; call again with SIGKILL.
   * @param signal default SIGTERM; SIGKILL and any other signal name of `os.constants.signals` accepted.
   * @returns false when no such job is queued or running (unknown, finished, or already removed).
   * @throws RangeError for an unknown signal name.
   */
  terminateJob(jobId: string | number, signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (!Object.hasOwn(constants.signals, signal)) throw new RangeError(`unknown signal ${JSON.stringify(signal)}`);
    const removed = (job: Job): JobTerminatedError => new JobTerminatedError(`Job ${job.jobId} terminated before it started.`, { jobId: job.jobId, signal: null });
    const waiting = this.waiting.remove((j) => j.jobId === jobId);
    if (waiting !== undefined) {
      waiting.reject(removed(waiting));
      return true;
    }
    for (const child of this.children) {
      const index = child.jobs.findIndex((j) => j.jobId === jobId);
      if (index < 0) continue;
      const job = child.jobs[index]!;
      if (!job.started) {
        child.jobs.splice(index, 1);
        child.cancelled.set(job.seq, signal);
        child.post({ t: 'cancel', i: job.seq });
        job.reject(removed(job));
        this.pump();
        return true;
      }
      child.terminating = { job, signal };
      child.kill(signal);
      return true;
    }
    return false;
  }

  /**
   * Replaces every child with a new one that loads the entry afresh (billiard `restart`, what Celery's
   * `pool_restart` remote command and its 3.x autoreloader call), so changed code of the entry and of
   * what it imports runs from now on. The current children take no new job and give back the ones they
   * hold but have not begun; the new children start; once all of them are ready, each old child
   * finishes the job it is running and exits. Jobs applied meanwhile wait for the new children.
   * When a new child cannot start (a syntax error in the changed code), the new ones are stopped and
   * the old ones serve on: the pool keeps running the previous code. Called while a restart is under
   * way, it runs one more restart after it (further calls share that one).
   * @returns resolves once the new children are ready (old ones may still finish their jobs); rejects
   *   with `WorkerInitError` (the old children kept) or `PoolClosedError` (the pool is not running, or
   *   was closed or terminated meanwhile).
   */
  restart(): Promise<void> {
    if (this.state !== 'running') return Promise.reject(new PoolClosedError(`pool cannot restart: it is ${this.state}`));
    if (this.restarting) {
      return (this.nextRestart ??= this.restarting.done.promise.catch(() => undefined).then(() => {
        this.nextRestart = undefined;
        return this.restart();
      }));
    }
    const restart = { fresh: new Set<Child>(), done: deferred<void>() };
    const before = new Set(this.children);
    for (const child of before) {
      if (child.retiring) continue;
      child.outgoing = true;
      for (const job of child.jobs) {
        if (job.started || job.yielding) continue;
        job.yielding = true;
        child.post({ t: 'yield', i: job.seq });
      }
    }
    this.restarting = restart;
    this.maintain();
    for (const child of this.children) if (!before.has(child)) restart.fresh.add(child);
    this.checkRestarted();
    return restart.done.promise;
  }

  /** Stops accepting jobs; resolves when every accepted job has finished and every child has exited. */
  close(): Promise<void> {
    if (this.state === 'new') this.fail(new PoolClosedError('pool closed before it started'));
    else if (this.state === 'running') {
      this.abandonRestart(new PoolClosedError('pool closed during a restart'));
      this.state = 'closing';
      this.autoscaler?.stop();
      this.pump();
      this.maintain();
      this.checkStopped();
    }
    return this.stopped.promise;
  }

  /** Kills every child now; queued and running jobs reject with `PoolTerminatedError`. */
  terminate(): Promise<void> {
    if (this.state !== 'closed' && this.state !== 'terminated') this.fail(new PoolTerminatedError('pool terminated'));
    return this.stopped.promise;
  }

  /** Rejects everything with `error`, kills every child, and settles once they are gone. */
  private fail(error: Error): void {
    this.abandonRestart(error);
    this.state = 'terminated';
    this.autoscaler?.stop();
    this.starting?.reject(error);
    this.starting = undefined;
    for (const job of this.waiting.drain()) job.reject(error);
    for (const child of this.children) {
      for (const job of child.jobs.splice(0)) job.reject(error);
      child.kill();
    }
    if (this.children.size === 0) this.finish('terminated');
  }

  private spawn(): void {
    const child = this.options.kind === 'threads' ? new ThreadChild(this.spec, this.events) : new ProcessChild(this.spec, this.events);
    this.children.add(child);
    const { entry, initArgs, maxMemoryPerChild } = this.options;
    child.post({ t: 'init', entry: entryPath(entry), initArgs, maxMemory: maxMemoryPerChild ?? 0 });
  }

  /** No new jobs for `child`; it exits once it has run those it has. */
  private retire(child: Child): void {
    if (child.retiring) return;
    child.retiring = true;
    child.post({ t: 'stop' });
  }

  /** The new children of the restart under way are all ready: the outgoing ones retire. */
  private checkRestarted(): void {
    const restart = this.restarting;
    if (restart === undefined) return;
    for (const child of restart.fresh) if (!child.ready) return;
    this.restarting = undefined;
    for (const child of this.children) if (child.outgoing) this.retire(child);
    restart.done.resolve();
  }

  /**
   * Ends the restart under way with `error`: the outgoing children serve again. `dropFresh` (a new
   * child failed to start): the other new ones retire, those that got jobs after finishing them.
   */
  private abandonRestart(error: Error, dropFresh = false): void {
    const restart = this.restarting;
    if (restart === undefined) return;
    this.restarting = undefined;
    if (dropFresh) for (const child of restart.fresh) this.retire(child);
    for (const child of this.children) child.outgoing = false;
    restart.done.reject(error);
  }

  /** Keeps the number of children serving (neither retiring nor outgoing) at the target (billiard `_maintain_pool`). */
  private maintain(): void {
    const want = this.state === 'running' ? this.target : this.state === 'closing' && this.waiting.length > 0 ? Math.max(this.target, 1) : 0;
    if (this.state !== 'running' && this.state !== 'closing') return;
    const live = [...this.children].filter((c) => !c.retiring && !c.outgoing);
    for (let n = live.length; n < want; n++) this.spawn();
    if (live.length > want && this.state === 'running') {
      live.sort((a, b) => a.jobs.length - b.jobs.length); // idle first
      for (const child of live.slice(0, live.length - want)) this.retire(child);
    }
  }

  /**
   * Sends waiting jobs to idle children, then prefetches behind busy ones up to each child's
   * `capacity` (billiard task handler).
   */
  private pump(): void {
    while (this.waiting.length > 0) {
      let best: Child | undefined;
      for (const child of this.children) {
        if (!child.ready || child.retiring || child.outgoing || child.jobs.length >= child.capacity) continue;
        if (best === undefined || child.jobs.length < best.jobs.length) best = child;
        if (child.jobs.length === 0) break;
      }
      if (best === undefined) break;
      this.dispatch(best, this.waiting.shift()!);
    }
    if (this.state === 'closing' && this.waiting.length === 0) for (const child of this.children) this.retire(child);
  }

  private dispatch(child: Child, job: Job): void {
    const soft = job.softTimeLimit === undefined ? undefined : job.softTimeLimit * 1000;
    child.post({ t: 'job', i: job.seq, j: job.jobId, p: job.payload, ...(soft === undefined ? {} : { s: soft }) });
    child.jobs.push(job);
    child.dispatched++;
    const max = this.options.maxTasksPerChild;
    if (max !== undefined && child.dispatched >= max) {
      this.retire(child);
      this.maintain();
    }
  }

  /** The result handler: everything a child reports. */
  private onMessage(child: Child, batch: ToParent[]): void {
    for (const message of batch) {
      switch (message.t) {
        case 'ready':
          child.ready = true;
          this.options.onChildStarted?.(child.pid);
          this.checkRestarted();
          break;
        case 'init-error':
          child.initError = deserializeError(message.e);
          break;
        case 'start': {
          for (const seq of child.cancelled.keys()) if (seq < message.i) child.cancelled.delete(seq); // passed: dropped by the child
          const job = child.jobs.find((j) => j.seq === message.i);
          if (job === undefined) {
            // A job taken back by terminateJob() that the child began before it heard: stop it there.
            const signal = child.cancelled.get(message.i);
            if (signal !== undefined && !child.terminating) child.kill(signal);
            break;
          }
          job.started = true;
          job.yielding = false;
          job.startedAt = performance.now();
          job.armTimeLimit(() => {
            child.killedFor = job;
            child.kill();
          });
          job.onStart?.(child.pid);
          this.options.onJobStarted?.(job.jobId, child.pid);
          break;
        }
        case 'ok':
        case 'err': {
          const index = child.jobs.findIndex((j) => j.seq === message.i);
          if (index < 0) break;
          const [job] = child.jobs.splice(index, 1);
          child.recordRuntime(message.r);
          if (message.t === 'ok') job!.resolve(message.v);
          else job!.reject(deserializeError(message.e));
          break;
        }
        case 'yielded': {
          const index = child.jobs.findIndex((j) => j.seq === message.i);
          if (index < 0) break; // terminated meanwhile
          const [job] = child.jobs.splice(index, 1);
          child.dispatched--;
          this.requeueFront([job!]);
          break;
        }
        case 'retire': // over maxMemoryPerChild: the child will start nothing more
          this.requeueFront(this.takeUnstarted(child));
          this.retire(child);
          this.maintain();
          break;
      }
    }
    this.checkStarted();
    this.pump();
    this.rebalance();
  }

  /**
   * Takes back the jobs prefetched behind a running job that has run for {@link REBALANCE_AFTER_MS}
   * or more while a child is idle and nothing waits in the pool, so a slow job does not hold fast
   * ones (what Celery's `-O fair` avoids by never prefetching). The child answers `yielded` for each
   * job it had not begun; those go back to the front of the queue. Re-checked by a timer while a
   * child is idle and another's prefetched jobs are not yet due for it.
   */
  private rebalance(): void {
    if (this.waiting.length > 0 || (this.state !== 'running' && this.state !== 'closing')) return;
    let idle = false;
    for (const child of this.children) if (child.ready && !child.retiring && !child.outgoing && child.jobs.length === 0) idle = true;
    if (!idle) return;
    const now = performance.now();
    let next = Infinity;
    for (const child of this.children) {
      const head = child.jobs[0];
      if (head === undefined || !head.started) continue;
      const spare = child.jobs.filter((j) => !j.started && !j.yielding);
      if (spare.length === 0) continue;
      const due = head.startedAt + REBALANCE_AFTER_MS;
      if (now < due) {
        next = Math.min(next, due);
        continue;
      }
      for (const job of spare) {
        job.yielding = true;
        child.post({ t: 'yield', i: job.seq });
      }
    }
    if (next < Infinity && this.rebalanceTimer === undefined) {
      this.rebalanceTimer = setTimeout(() => {
        this.rebalanceTimer = undefined;
        this.rebalance();
      }, Math.ceil(next - now) + 1);
    }
  }

  /** Puts unstarted jobs back at the front of the queue, in their original order. */
  private requeueFront(jobs: Job[]): void {
    for (const job of jobs) job.yielding = false;
    this.waiting.unshift(...jobs.sort((a, b) => a.seq - b.seq));
  }

  /** A payload that cannot be cloned: the job fails, the child never saw it; an init failure fails the pool. */
  private onUnsendable(child: Child, message: ToChild, error: unknown): void {
    if (message.t === 'init') this.fail(new WorkerInitError(`initArgs cannot be sent to a child: ${String(error)}`, { cause: error }));
    if (message.t !== 'job') return;
    const index = child.jobs.findIndex((j) => j.seq === message.i);
    if (index >= 0) child.jobs.splice(index, 1)[0]!.reject(error);
    this.pump();
  }

  /** The supervisor: a child is gone. Its running job fails; its prefetched job goes back to the queue. */
  private onExit(child: Child, exitCode: number | null, signal: NodeJS.Signals | null): void {
    this.children.delete(child);
    const unstarted = this.takeUnstarted(child);
    for (const job of child.jobs.splice(0)) {
      if (child.killedFor === job) job.reject(new TimeLimitExceeded(job.timeLimit!));
      else if (child.terminating?.job === job) {
        const { signal: sent } = child.terminating;
        job.reject(new JobTerminatedError(`Job ${job.jobId} terminated: ${describeExit(exitCode, signal)}.`, { jobId: job.jobId, signal: sent }));
      }
      else job.reject(new WorkerLostError(`Worker exited prematurely: ${describeExit(exitCode, signal)} Job: ${job.jobId}.`, { exitCode, signal }));
    }
    this.requeueFront(unstarted);
    this.options.onChildExit?.(child.pid, exitCode, signal);
    const fresh = this.restarting?.fresh.delete(child) === true;
    if (!child.ready && !child.retiring && (this.state === 'running' || this.state === 'closing')) {
      const cause = child.initError ?? new Error(`child exited during start: ${describeExit(exitCode, signal)}`);
      // A restart's new child: the old children stay. Any other: the pool cannot serve.
      if (fresh) this.abandonRestart(new WorkerInitError(`a new pool child failed to start, the previous children serve on: ${cause.message}`, { cause }), true);
      else this.fail(new WorkerInitError(`a pool child failed to start: ${cause.message}`, { cause }));
    }
    if (this.state === 'terminated' && this.children.size === 0) this.finish('terminated');
    this.maintain();
    this.pump();
    this.checkRestarted();
    this.checkStopped();
  }

  private takeUnstarted(child: Child): Job[] {
    const unstarted = child.jobs.filter((j) => !j.started);
    for (const job of unstarted) child.jobs.splice(child.jobs.indexOf(job), 1);
    return unstarted;
  }

  private checkStarted(): void {
    if (this.starting === undefined) return;
    let ready = 0;
    for (const child of this.children) if (child.ready) ready++;
    if (ready >= this.target || this.state !== 'running') {
      this.starting.resolve();
      this.starting = undefined;
    }
  }

  private checkStopped(): void {
    if (this.state === 'closing' && this.children.size === 0 && this.waiting.length === 0) this.finish('closed');
  }

  private finish(state: 'closed' | 'terminated'): void {
    clearTimeout(this.rebalanceTimer);
    this.state = state;
    this.stopped.resolve();
  }
}

/** As billiard words it: `signal 9 (SIGKILL)` or `exitcode 1`. */
function describeExit(exitCode: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${constants.signals[signal] ?? '?'} (${signal})` : `exitcode ${exitCode}`;
}
