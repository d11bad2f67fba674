/**
 * Reports of stored messages that are not messages at all (cq; kombu raises): an entry of a Redis list
 * or a SQLite row that is not a kombu envelope. The transport drops or sets such an entry aside and
 * reports it here, once per entry; what it could decode is delivered as usual.
 *
 * A transport that can report says so by implementing {@link InvalidMessageSink}; the worker routes
 * the reports to its logger (rate limited). Without a listener a transport emits a process warning.
 */

/** One stored entry a transport could not turn into a message. */
export interface InvalidMessageReport {
  /** The queue it was taken from. */
  queue: string;
  /** Why it is not a message, e.g. `not JSON: Unexpected token` or `"properties" is not an object`. */
  reason: string;
  /** The transport's warning code, e.g. `CQ_REDIS_BAD_ENVELOPE`. */
  code: string;
  /** What the transport did with it: `dropped` or `set aside` (kept in the store, never delivered). */
  outcome: 'dropped' | 'set aside';
}

/** Capability of a transport that reports invalid stored messages; check it with {@link isInvalidMessageSink}. */
export interface InvalidMessageSink {
  /** Receives each report; null (the default) emits a process warning instead. */
  onInvalidMessage: ((report: InvalidMessageReport) => void) | null;
}

/** True when `transport` reports invalid stored messages to {@link InvalidMessageSink.onInvalidMessage}. */
export function isInvalidMessageSink<T extends object>(transport: T): transport is T & InvalidMessageSink {
  return 'onInvalidMessage' in transport;
}

/** Hands `report` to `sink`'s listener, or emits it as a process warning when there is none. */
export function reportInvalidMessage(sink: InvalidMessageSink, report: InvalidMessageReport): void {
  if (sink.onInvalidMessage) sink.onInvalidMessage(report);
  else process.emitWarning(`${report.outcome} a message of ${report.queue} that is not a kombu envelope: ${report.reason}`, { code: report.code });
}
