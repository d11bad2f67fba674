/**
 * Apps and in-process cq workers for the notification tests: the broker and results on Redis db 12
 * (no other test uses it), each app on a fresh `cqt.notify.<random>` queue; `cleanup()` stops the
 * workers, closes the plugins, deletes the queues and the stored results.
 */
import { randomUUID } from 'node:crypto';
import { Celery, Worker, createLogger, fullStack, type AsyncResult, type CelerySettings } from '@cq/celery';
import type { ErrorNotificationsPlugin, NotificationLog } from '../src/index.js';

export const REDIS_URL = 'redis://127.0.0.1:6379/12';
/** The workers' node name: what the notifications must carry. */
export const NODE = 'celery@notify-test';

/** An error whose class name is Python's, as a task would raise it. */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** Polls `check` every 20 ms until true or `timeoutMs` passes; returns the last answer. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** A log that keeps its lines, to assert on what the plugin logged. */
export function recordingLog(): NotificationLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, error: (m: string) => void lines.push(`ERROR ${m}`), warn: (m: string) => void lines.push(`WARNING ${m}`) };
}

export class Fixture {
  private readonly apps: Celery[] = [];
  private readonly workers: Worker[] = [];
  private readonly plugins: ErrorNotificationsPlugin[] = [];
  private readonly results: AsyncResult[] = [];

  /** An app with the full stack and `plugin`, on Redis db 12 and its own queue. */
  app(plugin: ErrorNotificationsPlugin, settings: Partial<CelerySettings> = {}): Celery {
    const app = new Celery('notify', {
      broker_url: REDIS_URL, result_backend: REDIS_URL, result_expires: 300,
      task_default_queue: `cqt.notify.${randomUUID().slice(0, 8)}`, ...settings,
    }, { plugins: [...fullStack(), plugin] });
    app.log = createLogger({ level: 'critical' });
    this.apps.push(app);
    this.plugins.push(plugin);
    return app;
  }

  /** Starts an async-pool worker named {@link NODE} for `app`. */
  async worker(app: Celery): Promise<Worker> {
    const worker = new Worker(app, { pool: 'async', concurrency: 20, hostname: NODE, log: app.log, withoutGossip: true, withoutMingle: true, withoutHeartbeat: true });
    this.workers.push(worker);
    await worker.start();
    return worker;
  }

  /** Remembers results to forget at cleanup; returns them. */
  track<T extends AsyncResult>(...results: T[]): T[] {
    this.results.push(...results);
    return results;
  }

  async cleanup(): Promise<void> {
    for (const w of this.workers.splice(0)) await w.shutdown('cold').catch(() => undefined);
    for (const p of this.plugins.splice(0)) await p.close(1000);
    for (const r of this.results.splice(0)) await r.forget().catch(() => undefined);
    for (const app of this.apps.splice(0)) {
      const conn = app.connection();
      const channel = await conn.channel();
      for (const q of app.defaultQueues()) {
        await channel.deleteQueue(q.name).catch(() => undefined);
        await channel.deleteExchange(q.name).catch(() => undefined);
      }
      await conn.close();
      await app.close().catch(() => undefined);
    }
  }
}

/** Waits until every result is ready (the tasks ran), whatever their outcome. */
export async function settled(results: readonly AsyncResult[]): Promise<void> {
  await Promise.all(results.map((r) => r.get({ timeout: 10 }).catch(() => undefined)));
}
