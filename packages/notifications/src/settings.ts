/**
 * The error e-mail settings of Celery 3.x, revived under the lowercase names Celery 4.0 gave them
 * (`celery/app/defaults.py` of the 4.0 series: `admins`, `server_email`, the `email_*` namespace and
 * `task_send_error_emails`, the 4.0 name of `CELERY_SEND_TASK_ERROR_EMAILS`), with Celery's
 * defaults, read from `app.conf` through {@link notificationSettings}. Celery 5 has no error e-mails;
 * a config written for Celery 3 (`ADMINS`, `EMAIL_HOST`, ...) uses these names in lowercase.
 * Durations are in seconds, as in Celery. The `declare module` blocks below add the settings to
 * `CelerySettings` and Celery's `Task.send_error_emails` to `TaskOptions` (types only: importing
 * this package changes nothing at runtime).
 */
import { settingsSlice, type CelerySettings } from '@cq/app';

/** A recipient of error e-mails: Celery's `(name, address)` pair, or a bare address. */
export type Admin = readonly [name: string, address: string] | string;

export interface NotificationSettings {
  /**
   * Send an e-mail to `admins` when a task fails (Celery 4 `task_send_error_emails`, Celery 3
   * `CELERY_SEND_TASK_ERROR_EMAILS`). Default false. A task's `sendErrorEmails` option wins.
   */
  task_send_error_emails: boolean;
  /** Who gets error e-mails: `[name, address]` pairs or addresses (Celery `admins`/`ADMINS`). Default none: no e-mail is sent. */
  admins: readonly Admin[];
  /** The `From` address of error e-mails (Celery `server_email`/`SERVER_EMAIL`). Default `'celery@localhost'`. */
  server_email: string;
  /** SMTP server host (Celery `email_host`/`EMAIL_HOST`). Default `'localhost'`. */
  email_host: string;
  /** SMTP server port (Celery `email_port`/`EMAIL_PORT`). Default 25. */
  email_port: number;
  /** SMTP user; with `email_host_password`, the client logs in (Celery `email_host_user`). Default null. */
  email_host_user: string | null;
  /** SMTP password; never logged (Celery `email_host_password`, hidden by `cq inspect conf`). Default null. */
  email_host_password: string | null;
  /** Seconds to connect, greet and wait on the SMTP socket (Celery `email_timeout`/`EMAIL_TIMEOUT`). Default 2. */
  email_timeout: number;
  /** Connect over TLS from the start, SMTPS (Celery `email_use_ssl`/`EMAIL_USE_SSL`). Default false. */
  email_use_ssl: boolean;
  /**
   * Upgrade with STARTTLS and fail if the server cannot (Celery `email_use_tls`/`EMAIL_USE_TLS`).
   * Default false: as Celery's smtplib client, no STARTTLS is attempted.
   */
  email_use_tls: boolean;
  /**
   * Charset of the e-mail (Celery `email_charset`). Default `'us-ascii'`. Accepted for compatibility:
   * nodemailer always writes `text/plain; charset=utf-8`, which is the same bytes for ASCII text and,
   * unlike Celery's `us-ascii` MIMEText, does not fail on other characters.
   */
  email_charset: string;
}

declare module '@cq/app' {
  // The notifications' slice of Celery's settings: optional in `app.conf` (present only when configured).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the slice's members
  interface CelerySettings extends Partial<NotificationSettings> {}

  interface TaskOptions {
    /**
     * Failure notifications for this task (Celery 3 `Task.send_error_emails`): false sends none (no
     * e-mail, no webhook), true sends the e-mail even when `task_send_error_emails` is false.
     * Default: the `task_send_error_emails` setting for the e-mail; the webhook is always on.
     * Read by the `errorNotifications()` plugin of @cq/notifications.
     */
    sendErrorEmails?: boolean;
  }
}

/** Celery 4.0's defaults of these settings. */
export const NOTIFICATION_DEFAULTS: Readonly<NotificationSettings> = Object.freeze({
  task_send_error_emails: false,
  admins: [],
  server_email: 'celery@localhost',
  email_host: 'localhost',
  email_port: 25,
  email_host_user: null,
  email_host_password: null,
  email_timeout: 2,
  email_use_ssl: false,
  email_use_tls: false,
  email_charset: 'us-ascii',
});

/** The setting names of this slice, as listed in @cq/app's known settings. */
export const NOTIFICATION_SETTING_NAMES: readonly string[] = Object.freeze(Object.keys(NOTIFICATION_DEFAULTS));

/** The notification settings in effect for `conf`: each configured value, else Celery's default. */
export function notificationSettings(conf: CelerySettings): NotificationSettings {
  return settingsSlice<NotificationSettings>(conf, NOTIFICATION_DEFAULTS);
}
