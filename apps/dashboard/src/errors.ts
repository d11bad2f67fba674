/**
 * Errors raised by @cq/dashboard, each with a stable `code` and its `cause`.
 *
 * ```
 * DashboardError               CQ_DASHBOARD
 * ├── DashboardOptionError     CQ_DASHBOARD_OPTION   an option (or a CLI flag) has a value that cannot be used
 * ├── EventStoreError          CQ_DASHBOARD_STORE    the event store (SQLite or PostgreSQL) cannot be opened or has a newer schema
 * └── ApiError                 CQ_DASHBOARD_API      an HTTP request cannot be served; carries the status code
 * ```
 */
export class DashboardError extends Error {
  readonly code: string = 'CQ_DASHBOARD';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

export class DashboardOptionError extends DashboardError {
  override readonly code: string = 'CQ_DASHBOARD_OPTION';
}

export class EventStoreError extends DashboardError {
  override readonly code: string = 'CQ_DASHBOARD_STORE';
}

/**
 * A request the API refuses: `statusCode` (400 bad argument, 404 unknown task or worker, 503 no
 * result backend, ...) and a plain-text message, written as Flower writes its errors.
 */
export class ApiError extends DashboardError {
  override readonly code: string = 'CQ_DASHBOARD_API';
  constructor(readonly statusCode: number, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}
