/**
 * Errors of @cq/notifications, each with a stable `code` and its `cause`. Sending errors are never
 * thrown at the worker: the plugin logs them (secrets masked) and counts them.
 *
 * ```
 * NotificationError          CQ_NOTIFY
 * ├── NotificationConfigError CQ_NOTIFY_CONFIG    bad plugin options (thrown by errorNotifications() / install)
 * └── NotificationSendError   CQ_NOTIFY_SEND      one notification could not be delivered (logged)
 *     ├── MailSendError       CQ_NOTIFY_MAIL      the SMTP server refused or could not be reached
 *     └── WebhookSendError    CQ_NOTIFY_WEBHOOK   the webhook answered non-2xx, timed out or could not be reached
 * ```
 */
export class NotificationError extends Error {
  readonly code: string = 'CQ_NOTIFY';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Options the plugin cannot work with (a webhook URL that is not http(s), a second app, ...). */
export class NotificationConfigError extends NotificationError {
  override readonly code: string = 'CQ_NOTIFY_CONFIG';
}

/** A notification was not delivered; `channel` says which way it went. */
export class NotificationSendError extends NotificationError {
  override readonly code: string = 'CQ_NOTIFY_SEND';
  readonly channel: 'email' | 'webhook' = 'email';
}

export class MailSendError extends NotificationSendError {
  override readonly code: string = 'CQ_NOTIFY_MAIL';
  override readonly channel = 'email' as const;
}

export class WebhookSendError extends NotificationSendError {
  override readonly code: string = 'CQ_NOTIFY_WEBHOOK';
  override readonly channel = 'webhook' as const;
  /** The HTTP status when the webhook answered, else null (timeout, refused, DNS). */
  readonly status: number | null;
  constructor(message: string, options: { cause?: unknown; status?: number | null } = {}) {
    super(message, options);
    this.status = options.status ?? null;
  }
}
