/**
 * Apps and in-process cq workers for the notification tests: the broker and results on Redis db 12
 * (no other test uses it), each app on a fresh `cqt.notify.<random>` queue; `cleanup()` stops the
 * workers, closes the plugins, deletes the queues and the stored results.
 */
import { randomUUID } from 'node:crypto';
import { Celery, Worker, createLogger, fullStack, task_failure, type AsyncResult, type CelerySettings } from '@cq/celery';
import { AppFixture, until } from '@cq/tooling/testing';
import type { ErrorNotificationsPlugin, NotificationLog } from '../src/index.js';

export const REDIS_URL = 'redis://127.0.0.1:6379/12';
/** The workers' node name: what the notifications must carry. */
export const NODE = 'celery@notify-test';

/** An error whose class name is Python's, as a task would raise it. */
export class ValueError extends Error {
  override name = 'ValueError';
}

export { until } from '@cq/tooling/testing';

/** A log that keeps its lines, to assert on what the plugin logged. */
export function recordingLog(): NotificationLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, error: (m: string) => void lines.push(`ERROR ${m}`), warn: (m: string) => void lines.push(`WARNING ${m}`) };
}

export class Fixture extends AppFixture<Celery, Worker, AsyncResult> {
  private readonly plugins: ErrorNotificationsPlugin[] = [];

  /** An app with the full stack and `plugin`, on Redis db 12 and its own queue. */
  app(plugin: ErrorNotificationsPlugin, settings: Partial<CelerySettings> = {}): Celery {
    const app = new Celery('notify', {
      broker_url: REDIS_URL, result_backend: REDIS_URL, result_expires: 300,
      task_default_queue: `cqt.notify.${randomUUID().slice(0, 8)}`, ...settings,
    }, { plugins: [...fullStack(), plugin] });
    app.log = createLogger({ level: 'critical' });
    this.plugins.push(plugin);
    return this.adopt(app);
  }

  /** Starts an async-pool worker named {@link NODE} for `app`. */
  worker(app: Celery): Promise<Worker> {
    return this.startWorker(new Worker(app, { pool: 'async', concurrency: 20, hostname: NODE, log: app.log, withoutGossip: true, withoutMingle: true, withoutHeartbeat: true }));
  }

  /** Remembers results to forget at cleanup; returns them. */
  track<T extends AsyncResult>(...results: T[]): T[] {
    this.forgetAtCleanup(...results);
    return results;
  }

  /** {@link AppFixture.cleanup}, closing the plugins once the workers are down. */
  override cleanup(): Promise<void> {
    return super.cleanup(async () => {
      for (const p of this.plugins.splice(0)) await p.close(1000);
    });
  }
}

/** Ids of the tasks whose `task_failure` signal was sent in this process. */
const failureSignalled = new Set<string>();
task_failure.connect(({ taskId }) => void failureSignalled.add(taskId));

/**
 * Waits until every result is ready (the tasks ran), whatever their outcome, and, for those that
 * failed, until the worker has sent `task_failure`: it stores the FAILURE first and signals after
 * (as Celery does), so a ready result alone does not mean the plugin has seen the failure yet.
 * Signals are sent synchronously, so once this receiver saw an id the plugin's has too.
 */
export async function settled(results: readonly AsyncResult[]): Promise<void> {
  const failed = await Promise.all(results.map((r) => r.get({ timeout: 10 }).then(() => null, () => r.id)));
  const ids = failed.filter((id): id is string => id !== null);
  if (!(await until(() => ids.every((id) => failureSignalled.has(id)), 10_000))) {
    throw new Error(`task_failure was not sent for ${ids.filter((id) => !failureSignalled.has(id)).join(', ')} within 10 s`);
  }
}
