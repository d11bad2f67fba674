/**
 * Apps and in-process cq workers for the HTTP-task tests: broker and results on Redis db 12, each
 * app on a fresh `cqt.http.<random>` queue (deleted with the stored results at cleanup); a logger
 * that keeps every line, to check that no secret reaches it; the Python client of py/http_client.py.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Celery, Worker, fullStack, type AsyncResult, type CelerySettings, type Logger } from '@cq/celery';
import { AppFixture, execFileTracked, requirePython } from '@cq/tooling/testing';

export const REDIS_URL = 'redis://127.0.0.1:6379/12';
const PY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'py');

/** A Logger (the methods cq calls) that records `LEVEL message` lines. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: unknown) => void lines.push(`${level} ${String(message)}`);
  return {
    lines, level: 'debug', isLevelEnabled: () => true,
    trace: at('TRACE'), debug: at('DEBUG'), info: at('INFO'), warn: at('WARNING'), error: at('ERROR'), fatal: at('CRITICAL'),
    child() {
      return this;
    },
  } as unknown as Logger & { lines: string[] };
}

export interface PythonReply {
  id: string;
  state: string;
  result?: unknown;
  error?: string;
  message?: string;
}

export class Fixture extends AppFixture<Celery, Worker, AsyncResult> {
  readonly log: Logger & { lines: string[] } = recordingLogger();

  /** A full-stack app on its own queue; returns it with the queue name. */
  app(settings: Partial<CelerySettings> = {}): { app: Celery; queue: string } {
    const queue = `cqt.http.${randomUUID().slice(0, 8)}`;
    const app = new Celery('http', { broker_url: REDIS_URL, result_backend: REDIS_URL, result_expires: 300, task_default_queue: queue, ...settings }, { plugins: fullStack() });
    app.log = this.log;
    return { app: this.adopt(app), queue };
  }

  /** Starts an async-pool worker for `app`. */
  worker(app: Celery): Promise<Worker> {
    return this.startWorker(new Worker(app, { pool: 'async', concurrency: 8, log: this.log, withoutGossip: true, withoutMingle: true, withoutHeartbeat: true }));
  }

  /** Remembers a result to forget at cleanup; returns it. */
  track<T extends AsyncResult>(result: T): T {
    this.forgetAtCleanup(result);
    return result;
  }

  /** Python Celery 5.2 sends `request` to `queue` and waits for the outcome. */
  pythonCall(queue: string, request: Record<string, unknown>): Promise<PythonReply> {
    return new Promise((resolve, reject) => {
      execFileTracked(requirePython(['celery', 'kombu', 'redis']), [path.join(PY, 'http_client.py'), JSON.stringify(request)], {
        cwd: PY, env: { ...process.env, CQ_HTTP_BROKER: REDIS_URL, CQ_HTTP_BACKEND: REDIS_URL, CQ_HTTP_QUEUE: queue }, timeout: 60_000,
      }, (err, stdout, stderr) => {
        if (err) reject(new Error(`the Python client failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as PythonReply);
      });
    });
  }

  /** {@link AppFixture.cleanup}, then empties the log. */
  override async cleanup(): Promise<void> {
    await super.cleanup();
    this.log.lines.length = 0;
  }
}
