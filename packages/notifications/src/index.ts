/**
 * @cq/notifications — failure notifications for cq: Celery 3's task error e-mails revived (its
 * `task_send_error_emails`, `admins`, `server_email` and `email_*` settings, its `ErrorMail`
 * templates) through nodemailer, and a JSON webhook; filtered, rate-limited, sent in the background.
 * Nothing happens on import: pass `errorNotifications()` in the app's `plugins`.
 */
export {
  errorNotifications, type ErrorNotificationsOptions, type ErrorNotificationsPlugin, type NotificationStats, type NotificationLog,
} from './plugin.js';
export { ErrorMail, fillTemplate } from './error-mail.js';
export type { FailureNotification, NotificationEvent, ErrorMailContext } from './notification.js';
export type { WebhookOptions } from './webhook.js';
export { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit.js';
export { NOTIFICATION_DEFAULTS, NOTIFICATION_SETTING_NAMES, notificationSettings, type NotificationSettings, type Admin } from './settings.js';
export { NotificationError, NotificationConfigError, NotificationSendError, MailSendError, WebhookSendError } from './errors.js';
