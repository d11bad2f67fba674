/**
 * @cq/events — Celery monitoring events for cq: the dispatcher workers and clients send with, the
 * receiver monitors capture with (`celeryev` exchange; fanout on Redis), the Lamport clock, the
 * in-memory cluster state (`events.state`) and the `--dump` formatter. Wire-compatible with Celery 5.
 */
export { EventDispatcher, type EventDispatcherOptions } from './dispatcher.js';
export { EventReceiver, type EventReceiverOptions, type EventHandler } from './receiver.js';
export { State, type StateOptions, type StateUpdate } from './state.js';
export { WorkerState, HEARTBEAT_EXPIRE_WINDOW, heartbeatExpires } from './worker-state.js';
export { TaskState, TASK_EVENT_TO_STATE } from './task-state.js';
/** The app's Lamport clock class (`app.clock`), from @cq/kombu. */
export { LamportClock } from '@cq/kombu';
export {
  makeEvent, groupFrom, routingKeyOf, eventExchange, nowSeconds, utcoffset, adjustTimestamp, type CeleryEvent,
} from './event.js';
export { sendTaskSent, events } from './sent.js';
export { Dumper, humanizeType, formatUtcTimestamp, pythonStr } from './dumper.js';
export { EVENT_DEFAULTS, eventSettings, type EventSettings } from './settings.js';
export { EventsError, EventDispatcherError, EventReceiverError } from './errors.js';
