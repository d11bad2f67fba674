/**
 * Errors raised by @cq/events, each with a stable `code` and its `cause`.
 *
 * ```
 * EventsError                 CQ_EVENTS
 * ├── EventDispatcherError    CQ_EVENTS_DISPATCHER   an event could not be published (and is not buffered)
 * └── EventReceiverError      CQ_EVENTS_RECEIVER     the receiver is used out of order (capture twice, not started)
 * ```
 */
export class EventsError extends Error {
  readonly code: string = 'CQ_EVENTS';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Publishing failed and `bufferWhileOffline` is off (Celery re-raises the transport error there). */
export class EventDispatcherError extends EventsError {
  override readonly code: string = 'CQ_EVENTS_DISPATCHER';
}

export class EventReceiverError extends EventsError {
  override readonly code: string = 'CQ_EVENTS_RECEIVER';
}
