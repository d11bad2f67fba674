/**
 * In-memory cluster state built from events (Celery `celery/events/state.py` `State`): workers by
 * hostname (alive by heartbeat) and tasks by uuid (state by their events), for monitors such as
 * `cq events` and dashboards.
 *
 * ```ts
 * const state = new State();
 * new EventReceiver({ app, handlers: { '*': (e) => state.event(e) } }).start();
 * state.aliveWorkers();              // workers heard from within freq × 2
 * state.tasksByTime({ limit: 10 });  // newest first
 * ```
 *
 * Memory is bounded: at most `maxWorkersInMemory` workers and `maxTasksInMemory` tasks are kept, the
 * least recently updated dropped first. A `worker-offline` removes the worker (after `onNodeLeave`).
 */
import type { CeleryEvent } from './event.js';
import { TaskState } from './task-state.js';
import { WorkerState } from './worker-state.js';

export interface StateOptions {
  /** Called with every event, before it is applied. */
  callback?: (state: State, event: CeleryEvent) => void;
  /** Default 5000 (Celery's). */
  maxWorkersInMemory?: number;
  /** Default 10000 (Celery's). */
  maxTasksInMemory?: number;
  /** A worker appeared or sent `worker-online`. */
  onNodeJoin?: (worker: WorkerState) => void;
  /** A worker sent `worker-offline`. */
  onNodeLeave?: (worker: WorkerState) => void;
}

/** What {@link State.event} did: the object updated (or null), whether it was created, the subject. */
export interface StateUpdate {
  worker?: WorkerState;
  task?: TaskState;
  created: boolean;
  /** The part of the type after the group: `succeeded` for `task-succeeded`. */
  subject: string;
}

export class State {
  readonly workers = new Map<string, WorkerState>();
  readonly tasks = new Map<string, TaskState>();
  /** Events applied since creation or {@link clear}. */
  eventCount = 0;
  /** `task-received` events applied. */
  taskCount = 0;
  private readonly seenTypes = new Set<string>();

  constructor(private readonly options: StateOptions = {}) {}

  /** Applies one event (as a receiver hands it over, with `local_received`). */
  event(event: CeleryEvent): StateUpdate {
    this.eventCount += 1;
    this.options.callback?.(this, event);
    const type = event.type;
    const dash = type.indexOf('-');
    const group = dash === -1 ? type : type.slice(0, dash);
    const subject = dash === -1 ? '' : type.slice(dash + 1);
    if (group === 'worker') return this.workerEvent(subject, event);
    if (group === 'task') return this.taskEvent(subject, event);
    return { created: false, subject };
  }

  private workerEvent(subject: string, event: CeleryEvent): StateUpdate {
    const hostname = event.hostname;
    if (typeof hostname !== 'string' || event.timestamp === undefined || event.local_received === undefined) return { created: false, subject };
    const offline = subject === 'offline';
    let worker = this.workers.get(hostname);
    let created = false;
    if (!worker) {
      worker = new WorkerState(hostname);
      if (!offline) {
        this.remember(this.workers, hostname, worker, this.options.maxWorkersInMemory ?? 5000);
        created = true;
      }
    } else this.touch(this.workers, hostname, worker);
    worker.event(subject, event.timestamp, event.local_received, event);
    if (created || subject === 'online') this.options.onNodeJoin?.(worker);
    if (offline) {
      this.options.onNodeLeave?.(worker);
      this.workers.delete(hostname);
    }
    return { worker, created, subject };
  }

  private taskEvent(subject: string, event: CeleryEvent): StateUpdate {
    const uuid = event['uuid'];
    if (typeof uuid !== 'string') return { created: false, subject };
    const hostname = typeof event.hostname === 'string' ? event.hostname : '';
    let task = this.tasks.get(uuid);
    const created = !task;
    if (!task) task = new TaskState(uuid);
    this.remember(this.tasks, uuid, task, this.options.maxTasksInMemory ?? 10000);
    if (subject === 'sent') task.client = hostname;
    else {
      let worker = this.workers.get(hostname);
      if (!worker) {
        worker = new WorkerState(hostname);
        this.remember(this.workers, hostname, worker, this.options.maxWorkersInMemory ?? 5000);
      }
      task.worker = worker;
      // A task event proves the worker is there, as a heartbeat would (Celery does the same).
      if (event.local_received) worker.event(null, event.timestamp, event.local_received);
    }
    if (subject === 'received') this.taskCount += 1;
    task.event(subject, event.timestamp, event);
    if (task.name) this.seenTypes.add(task.name);
    return { task, created, subject };
  }

  /** Workers whose heartbeat has not expired as of `now` (s) (Celery `alive_workers`). */
  aliveWorkers(now?: number): WorkerState[] {
    return [...this.workers.values()].filter((w) => w.alive(now));
  }

  /**
   * Tasks ordered by their last event's clock, then timestamp: newest first unless `reverse` is
   * false (Celery `tasks_by_time`). `limit` caps how many.
   */
  tasksByTime(options: { limit?: number; reverse?: boolean } = {}): TaskState[] {
    const sorted = [...this.tasks.values()].sort((a, b) => a.clock - b.clock || (a.timestamp ?? 0) - (b.timestamp ?? 0));
    if (options.reverse ?? true) sorted.reverse();
    return options.limit === undefined ? sorted : sorted.slice(0, options.limit);
  }

  /** Tasks of one type, newest first. */
  tasksByType(name: string, limit?: number): TaskState[] {
    return this.tasksByTime().filter((t) => t.name === name).slice(0, limit);
  }

  /** Tasks run by one worker, newest first. */
  tasksByWorker(hostname: string, limit?: number): TaskState[] {
    return this.tasksByTime().filter((t) => t.worker?.hostname === hostname).slice(0, limit);
  }

  /** Task names seen, sorted. */
  taskTypes(): string[] {
    return [...this.seenTypes].sort();
  }

  /** Forgets workers and tasks (only the ready tasks when `ready`, the default) and resets the counts. */
  clear(ready = true): void {
    this.workers.clear();
    for (const [id, task] of this.tasks) if (!ready || task.ready) this.tasks.delete(id);
    this.eventCount = 0;
    this.taskCount = 0;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
    this.touch(map, key, value);
    while (map.size > limit) map.delete(map.keys().next().value as string);
  }

  /** Moves an entry to the most recently used end. */
  private touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
  }
}
