/**
 * Events step (Celery `celery/worker/consumer/events.py`): the consumer's event dispatcher
 * (`c.eventDispatcher`) on the broker connection. Worker events (`worker-*`, sent by the Heart step)
 * always go out; task events only with `worker_send_task_events` (`cq worker -E`), sent from the
 * worker's signals in Celery's shapes and buffered into `task.multi` arrays as a Celery worker does:
 *
 * - `task-received` (task_received): uuid, name, args, kwargs (reprs), root_id, parent_id, retries, eta, expires;
 * - `task-started` (task_prerun): uuid;
 * - `task-succeeded` (task_postrun SUCCESS): uuid, result (repr, ≤ 1024 chars), runtime (s);
 * - `task-failed` (task_failure): uuid, exception (repr), traceback;
 * - `task-retried` (task_retry): uuid, exception, traceback; `task-cancelled` when a shutdown cancelled it;
 * - `task-rejected` (task_postrun REJECTED): uuid, requeue;
 * - `task-revoked` (task_revoked): uuid, terminated, signum, expired.
 *
 * The task-signal receivers are connected only while task events are on (at start, and again when
 * `enable_events` / `disable_events` or the dispatcher's enable/disable switch them): with events off,
 * the worker's signals have no receivers and cost nothing per task.
 *
 * The dispatcher is closed at `shutdown`, after the pool drained, so late task events still leave.
 */
import { performance } from 'node:perf_hooks';
import {
  Reject, pythonRepr, task_failure, task_postrun, task_prerun, task_received, task_retry, task_revoked,
} from '@cq/app';
import { EventDispatcher, eventSettings } from '@cq/events';
import { formatPythonIsoDate } from '@cq/kombu';
import { Step } from '../../bootsteps.js';
import type { Consumer } from '../consumer.js';
import { ConnectionStep } from './connection.js';

/** Python's `repr()` of an error: `ValueError('bad input')`. */
function errorRepr(error: unknown): string {
  if (error instanceof Error) return `${error.name}(${pythonRepr(error.message)})`;
  return pythonRepr(error ?? null);
}

function isoOrNull(raw: unknown, parsed: Date | null): string | null {
  if (typeof raw === 'string' && raw !== '') return raw;
  return parsed ? formatPythonIsoDate(parsed) : null;
}

export class EventsStep extends Step<Consumer> {
  static override readonly label = 'Events';
  static override readonly requires = [ConnectionStep];
  /** Disconnects the task-signal receivers; empty while they are not connected. */
  private disconnect: Array<() => void> = [];
  /** Undoes the dispatcher hooks that keep the receivers in step with task events. */
  private unwatch: (() => void) | null = null;

  override async start(c: Consumer): Promise<void> {
    const w = c.worker;
    const taskEvents = eventSettings(c.app.conf).worker_send_task_events;
    const dispatcher = new EventDispatcher({
      app: c.app, connection: c.connection!, hostname: w.hostname, bufferGroups: ['task'],
      ...(taskEvents ? {} : { groups: ['worker'] }),
    });
    await dispatcher.open();
    c.eventDispatcher = dispatcher;
    const send = (type: string, fields: Record<string, unknown>) => {
      dispatcher.send(type, fields).catch((err: unknown) => w.log.error(`could not send ${type} event: ${String(err)}`));
    };
    // Receivers return at once while task events are off (they can be enabled at run time).
    const on = () => dispatcher.willSend('task');
    const mine = (taskId: string) => {
      if (!on()) return undefined;
      for (const r of w.activeRequests) if (r.id === taskId) return r;
      return undefined;
    };
    const connectReceivers = (): Array<() => void> => [
      task_received.connect(({ request: r }) => on() && send('task-received', {
        uuid: r.id, name: r.name, args: r.argsrepr, kwargs: r.kwargsrepr, root_id: r.rootId, parent_id: r.parentId,
        retries: r.retries, eta: isoOrNull(r.headers['eta'], r.eta), expires: isoOrNull(r.headers['expires'], r.expires),
      }), { sender: c }),
      task_prerun.connect(({ taskId }) => {
        if (mine(taskId)) send('task-started', { uuid: taskId });
      }),
      task_postrun.connect(({ taskId, retval, state }) => {
        const request = mine(taskId);
        if (!request) return;
        if (state === 'SUCCESS') {
          send('task-succeeded', { uuid: taskId, result: pythonRepr(retval ?? null, 1024), runtime: (performance.now() - request.startedAt) / 1000 });
        } else if (state === 'REJECTED') {
          send('task-rejected', { uuid: taskId, requeue: retval instanceof Reject ? retval.requeue : true });
        }
      }),
      task_failure.connect(({ taskId, exception, traceback }) => {
        if (mine(taskId)) send('task-failed', { uuid: taskId, exception: errorRepr(exception), traceback });
      }),
      task_retry.connect(({ request, reason, einfo }) => {
        if (!on() || request.hostname !== w.hostname) return;
        if (reason === null) send('task-cancelled', { uuid: request.id });
        else send('task-retried', { uuid: request.id, exception: errorRepr(reason), traceback: einfo?.traceback ?? null });
      }),
      task_revoked.connect(({ request, terminated, signum, expired }) => {
        if (on() && request.hostname === w.hostname) send('task-revoked', { uuid: request.id, terminated, signum, expired });
      }),
    ];
    const sync = (): void => {
      if (on() && this.disconnect.length === 0) this.disconnect = connectReceivers();
      else if (!on()) for (const off of this.disconnect.splice(0)) off();
    };
    dispatcher.onEnabled.add(sync);
    dispatcher.onDisabled.add(sync);
    c.taskEventsChanged = sync;
    this.unwatch = () => {
      dispatcher.onEnabled.delete(sync);
      dispatcher.onDisabled.delete(sync);
      if (c.taskEventsChanged === sync) c.taskEventsChanged = null;
    };
    sync();
  }

  override async shutdown(c: Consumer): Promise<void> {
    this.unwatch?.();
    this.unwatch = null;
    for (const off of this.disconnect.splice(0)) off();
    const dispatcher = c.eventDispatcher;
    c.eventDispatcher = null;
    await dispatcher?.close();
  }

  override info(c: Consumer): Record<string, unknown> {
    return { events: c.eventDispatcher ? { enabled: c.eventDispatcher.enabled, groups: [...c.eventDispatcher.groups] } : null };
  }
}
