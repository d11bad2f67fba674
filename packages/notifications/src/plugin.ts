/**
 * The app plugin of @cq/notifications: Celery 3's task error e-mails revived, plus a JSON webhook.
 *
 * ```ts
 * import { Celery } from '@cq/celery';
 * import { errorNotifications } from '@cq/notifications';
 *
 * const app = new Celery('proj', {
 *   task_send_error_emails: true, admins: [['Ops', 'ops@example.com']], server_email: 'cq@example.com',
 *   email_host: 'smtp.example.com', email_port: 587, email_use_tls: true,
 *   email_host_user: 'cq', email_host_password: process.env.SMTP_PASSWORD,
 * }, { plugins: [errorNotifications({ webhook: { url: 'https://hooks.example.com/cq', headers: { authorization: 'Bearer …' } } })] });
 * ```
 *
 * What happens on `task_failure` (the worker's signal, sent once a task has failed for good: after
 * its retries, never for Retry/Ignore/Reject) of a task of this app, in order:
 * 1. `sendErrorEmails: false` on the task drops it (Celery `Task.send_error_emails`);
 * 2. the task name must match `tasks` (globs, default all) and no `excludeTasks` glob;
 * 3. the error must match `exceptions` when given (classes or names, Celery 2's error whitelist) and
 *    none of `ignoreExceptions`;
 * 4. `errorMail.shouldSend(context, error)` must say yes (Celery `ErrorMail.should_send`);
 * 5. the rate limit (`rateLimit`, default 10 per minute per task name + exception type) lets it
 *    through, or counts it for the window's digest (rate-limit.ts);
 * 6. an e-mail (when `task_send_error_emails`, the task's `sendErrorEmails: true` or `email: true`
 *    says so, and `admins` is not empty) and a webhook POST (when `webhook` is given) are queued.
 * Sending happens in the background on a bounded queue (`queueSize`, default 100; beyond it new
 * notifications are dropped and the drop is logged): the task path never waits, and a failed send is
 * logged through the app's logger (`app.log`, at error) without secrets and never reaches the worker.
 * When the app's worker stops (`worker_shutdown`), open windows emit their digests and the queue is
 * drained for at most `drainTimeout` ms. The `hostname` of notifications is the node name of the
 * app's worker (the last one started in this process, seen at `worker_init`), else `celery@<host>`.
 */
import os from 'node:os';
import {
  errorMatches, task_failure, worker_init, worker_shutdown, type Celery, type CeleryPlugin, type ErrorMatcher, type Task,
} from '@cq/app';
import { ErrorMail } from './error-mail.js';
import { NotificationConfigError, type NotificationSendError } from './errors.js';
import { SmtpMailer } from './mailer.js';
import { failureNotification, mailContext, suppressedDigest, type FailureNotification } from './notification.js';
import { DEFAULT_RATE_LIMIT, FailureWindows, type RateLimit } from './rate-limit.js';
import { SendQueue } from './send-queue.js';
import { notificationSettings } from './settings.js';
import { postWebhook, webhookConfig, type WebhookOptions } from './webhook.js';

/** Where the plugin logs; the app's pino logger fits. */
export interface NotificationLog {
  error(message: string): void;
  warn(message: string): void;
}

export interface ErrorNotificationsOptions {
  /** E-mail the admins: default the `task_send_error_emails` setting; a task's `sendErrorEmails` wins over both. */
  email?: boolean;
  /** POST each notification as JSON here (notification.ts has the shape). Default none. */
  webhook?: WebhookOptions | null;
  /** Task names (globs: `*` any run, `?` one character) that are notified. Default all. */
  tasks?: readonly string[];
  /** Task names (globs) never notified. Default none. */
  excludeTasks?: readonly string[];
  /** Only errors of these classes or names are notified (Celery 2 `CELERY_TASK_ERROR_WHITELIST`). Default all. */
  exceptions?: readonly ErrorMatcher[];
  /** Errors of these classes or names are never notified. Default none. */
  ignoreExceptions?: readonly ErrorMatcher[];
  /** Templates and `shouldSend` (Celery `Task.ErrorMail`). Default `new ErrorMail()`. */
  errorMail?: ErrorMail;
  /** Per task name + exception type: `max` notifications per `windowMs` ms, then one digest. Default 10 per 60,000 ms; false for none. */
  rateLimit?: Partial<RateLimit> | false;
  /** Sends waiting or running at most; more are dropped (and logged). Default 100. */
  queueSize?: number;
  /** Milliseconds the worker's shutdown waits for pending sends. Default 5,000. */
  drainTimeout?: number;
  /** Default: the app's logger, `app.log`. */
  log?: NotificationLog;
}

/** Counters since the plugin was created. */
export interface NotificationStats {
  /** Failures that passed the filters and the rate limit (each sent by one or two channels). */
  notified: number;
  /** Failures left out by the rate limit. */
  suppressed: number;
  /** Digests emitted for them. */
  digests: number;
  sent: { email: number; webhook: number };
  failed: { email: number; webhook: number };
  /** Sends dropped because the queue was full. */
  dropped: number;
}

/** The plugin, with handles on what it does in its app. */
export interface ErrorNotificationsPlugin extends CeleryPlugin {
  readonly stats: Readonly<NotificationStats>;
  /** Emits pending digests and waits up to `timeoutMs` (default `drainTimeout`) for the queue; false on timeout. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Disconnects from the signals, then flushes. The plugin does nothing more afterwards. */
  close(timeoutMs?: number): Promise<boolean>;
}

interface Pending {
  notification: FailureNotification;
  email: boolean;
}

/**
 * The plugin to pass in the app's `plugins`; one per app (installing it in a second app throws
 * {@link NotificationConfigError}). Throws the same for an invalid `webhook`, `rateLimit`,
 * `queueSize` or `drainTimeout`. Nothing is connected until the app installs it.
 */
export function errorNotifications(options: ErrorNotificationsOptions = {}): ErrorNotificationsPlugin {
  const webhook = options.webhook ? webhookConfig(options.webhook) : null;
  const limit = options.rateLimit === false ? null : { ...DEFAULT_RATE_LIMIT, ...options.rateLimit };
  if (limit && !(Number.isInteger(limit.max) && limit.max >= 1 && limit.windowMs > 0)) {
    throw new NotificationConfigError(`rateLimit needs an integer max >= 1 and windowMs > 0, not ${JSON.stringify(limit)}`);
  }
  const drainTimeout = options.drainTimeout ?? 5000;
  if (!(drainTimeout >= 0)) throw new NotificationConfigError(`drainTimeout must be >= 0 ms, not ${String(drainTimeout)}`);
  if (options.queueSize !== undefined && !(options.queueSize >= 1)) throw new NotificationConfigError(`queueSize must be >= 1, not ${String(options.queueSize)}`);
  const include = (options.tasks ?? []).map(globPattern);
  const exclude = (options.excludeTasks ?? []).map(globPattern);
  const errorMail = options.errorMail ?? new ErrorMail();
  const mailer = new SmtpMailer();
  const stats: NotificationStats = { notified: 0, suppressed: 0, digests: 0, sent: { email: 0, webhook: 0 }, failed: { email: 0, webhook: 0 }, dropped: 0 };

  let app: Celery | null = null;
  let hostname = `celery@${os.hostname()}`;
  let warnedNoAdmins = false;
  const disconnect: Array<() => void> = [];
  const log = (): NotificationLog => options.log ?? app!.log;
  const queue = new SendQueue({
    limit: options.queueSize ?? 100,
    onFull: (full, dropped) => full
      ? log().warn(`@cq/notifications: ${queue.limit} sends pending: new ones are dropped until the queue has room`)
      : log().warn(`@cq/notifications: the queue has room again; ${dropped} send(s) were dropped`),
  });
  const windows = limit && new FailureWindows<Pending>(limit, (last, suppressed) => {
    stats.digests += 1;
    dispatch({ ...last, notification: suppressedDigest(last.notification, suppressed, limit.windowMs / 1000) });
  });

  function dispatch({ notification, email }: Pending): void {
    if (email) enqueue('email', () => {
      const context = mailContext(notification);
      const digest = notification.event === 'task-failures-suppressed';
      return mailer.send(notificationSettings(app!.conf), errorMail.formatSubject(context, digest), errorMail.formatBody(context, digest));
    });
    if (webhook) enqueue('webhook', () => postWebhook(webhook, notification));
  }

  function enqueue(channel: 'email' | 'webhook', send: () => Promise<void>): void {
    queue.push(async () => {
      try {
        await send();
        stats.sent[channel] += 1;
      } catch (error) {
        stats.failed[channel] += 1;
        log().error(`@cq/notifications: ${(error as NotificationSendError).message}`);
      }
    });
  }

  function onFailure(task: Task, taskId: string, error: Error, args: unknown[], kwargs: Record<string, unknown>, traceback: string | null): void {
    const perTask = task.options.sendErrorEmails;
    if (perTask === false) return;
    if (include.length > 0 && !include.some((re) => re.test(task.name))) return;
    if (exclude.some((re) => re.test(task.name))) return;
    if (options.exceptions?.length && !errorMatches(error, options.exceptions)) return;
    if (errorMatches(error, options.ignoreExceptions)) return;
    const settings = notificationSettings(app!.conf);
    let email = perTask ?? options.email ?? settings.task_send_error_emails;
    if (email && settings.admins.length === 0) {
      if (!warnedNoAdmins) log().warn('@cq/notifications: error e-mails are on but the admins setting is empty: no e-mail is sent');
      warnedNoAdmins = true;
      email = false;
    }
    if (!email && !webhook) return;
    const notification = failureNotification({
      app: app!.main, hostname, taskName: task.name, taskId, args, kwargs, error, traceback, at: new Date(),
    });
    if (!errorMail.shouldSend(mailContext(notification), error)) return;
    const pending = { notification, email };
    if (windows && !windows.admit(`${task.name}\u0000${error.name}`, pending)) {
      stats.suppressed += 1;
      return;
    }
    stats.notified += 1;
    dispatch(pending);
  }

  async function flush(timeoutMs = drainTimeout): Promise<boolean> {
    windows?.flush();
    const drained = await queue.drain(timeoutMs);
    if (!drained) log().warn(`@cq/notifications: ${queue.pending} send(s) still pending after ${timeoutMs} ms`);
    mailer.close();
    return drained;
  }

  return {
    name: '@cq/notifications',
    get stats() {
      return { ...stats, sent: { ...stats.sent }, failed: { ...stats.failed }, dropped: queue.dropped };
    },
    install(target: Celery): void {
      if (app && app !== target) throw new NotificationConfigError('errorNotifications() is installed in another app already: create one per app');
      app = target;
      disconnect.push(
        task_failure.connect(({ sender, taskId, exception, args, kwargs, traceback }) => {
          if (sender.app !== target) return;
          try {
            onFailure(sender, taskId, exception, args, kwargs, traceback);
          } catch (error) {
            log().error(`@cq/notifications: could not notify the failure of ${sender.name}[${taskId}]: ${String(error)}`);
          }
        }),
        worker_init.connect(({ sender }) => {
          const node = workerOf(sender, target);
          if (node !== null) hostname = node;
        }),
        worker_shutdown.connect(({ sender }) => (workerOf(sender, target) === null ? undefined : flush())),
      );
    },
    flush,
    async close(timeoutMs?: number): Promise<boolean> {
      for (const off of disconnect.splice(0)) off();
      return flush(timeoutMs);
    },
  };
}

/** The node name of `sender` when it is a worker of `app` (the sender of worker_init/worker_shutdown), else null. */
function workerOf(sender: object, app: Celery): string | null {
  const worker = sender as { app?: unknown; hostname?: unknown };
  return worker.app === app && typeof worker.hostname === 'string' ? worker.hostname : null;
}

/** A shell-style glob (`*`, `?`) as an anchored RegExp. */
function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/[\\^$.+()|{}[\]]/g, (c) => `\\${c}`);
  return new RegExp(`^${escaped.replaceAll('*', '.*').replaceAll('?', '.')}$`);
}
