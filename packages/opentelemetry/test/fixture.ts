/**
 * What the tracing tests share: an OpenTelemetry SDK with an in-memory exporter and the
 * AsyncLocalStorage context manager (what NodeSDK sets up), cq apps on Redis db 12 (each run on
 * fresh `cqt.otel.<random>` queues, deleted with the stored results at cleanup), in-process cq
 * workers, and the Python peer (test/py/otel_peer.py): a Celery 5.2 worker and client.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Celery, Worker, createLogger, fullStack, type AsyncResult, type CelerySettings } from '@cq/celery';
import { AppFixture, execFileTracked, requirePython, spawnTracked, stopTracked, until } from '@cq/tooling/testing';

export const REDIS_URL = 'redis://127.0.0.1:6379/12';
export const NODE = 'celery@otel-test';
const PEER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'py');
const PYTHON_MODULES = ['celery', 'kombu', 'redis'] as const;

export const exporter = new InMemorySpanExporter();
export const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** A queue name of its own for one app of one test. */
export function queueName(): string {
  return `cqt.otel.${randomUUID().slice(0, 8)}`;
}

/** The finished spans called `name`. */
export function spans(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

/** Waits until `count` spans called `name` have ended and returns them (in end order). */
export async function waitForSpans(name: string, count = 1): Promise<ReadableSpan[]> {
  if (!(await until(() => spans(name).length >= count))) {
    throw new Error(`${count} span(s) ${name} expected; finished: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  }
  return spans(name);
}

/** The one finished span called `name` whose `messaging.message.id` is `id`. */
export async function spanFor(name: string, id: string): Promise<ReadableSpan> {
  let found: ReadableSpan | undefined;
  const pick = (): boolean => (found = spans(name).find((s) => s.attributes['messaging.message.id'] === id)) !== undefined;
  if (!(await until(pick))) throw new Error(`no span ${name} for ${id}; finished: ${exporter.getFinishedSpans().map((s) => `${s.name}:${String(s.attributes['messaging.message.id'])}`).join(', ')}`);
  return found!;
}

export interface PythonReply {
  id: string;
  result?: unknown;
  raw?: Array<{ headers: Record<string, unknown>; properties: Record<string, unknown> }>;
}

export class Fixture extends AppFixture<Celery, Worker, AsyncResult> {
  private readonly processes: ChildProcess[] = [];

  /** A full-stack app on Redis db 12 whose default queue is `queue`. */
  app(queue: string, settings: Partial<CelerySettings> = {}): Celery {
    const app = new Celery('otel', { broker_url: REDIS_URL, result_backend: REDIS_URL, result_expires: 300, task_default_queue: queue, ...settings }, { plugins: fullStack() });
    app.log = createLogger({ level: 'critical' });
    return this.adopt(app, queue);
  }

  /** Starts an async-pool worker named {@link NODE} for `app` on `queue`. */
  worker(app: Celery, queue: string): Promise<Worker> {
    return this.startWorker(new Worker(app, {
      pool: 'async', concurrency: 8, hostname: NODE, log: app.log, queues: [queue], withoutGossip: true, withoutMingle: true, withoutHeartbeat: true,
    }));
  }

  /** Remembers a result to forget at cleanup; returns it. */
  track<T extends AsyncResult>(result: T): T {
    this.forgetAtCleanup(result);
    return result;
  }

  /** Python's environment for the peer on `queue`. */
  private pythonEnv(queue: string): NodeJS.ProcessEnv {
    this.deleteAtCleanup(queue);
    return { ...process.env, CQ_OTEL_BROKER: REDIS_URL, CQ_OTEL_BACKEND: REDIS_URL, CQ_OTEL_QUEUE: queue };
  }

  /** Starts a Python Celery worker (solo pool) of otel_peer.py on `queue`; resolves once it is ready. */
  async pythonWorker(queue: string): Promise<void> {
    const child = spawnTracked(requirePython(PYTHON_MODULES), [
      '-m', 'celery', '-A', 'otel_peer', 'worker', '-P', 'solo', '-n', `py-otel-${process.pid}@%h`, '-l', 'info', '--without-mingle', '--without-gossip', '--without-heartbeat',
    ], { cwd: PEER, env: this.pythonEnv(queue), stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.push(child);
    const log: string[] = [];
    child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    if (!(await until(() => log.join('').includes('ready.') || child.exitCode !== null, 30_000)) || child.exitCode !== null) {
      throw new Error(`the Python worker did not start:\n${log.join('')}`);
    }
  }

  /** Runs the Python client of otel_peer.py with `request` (see its doc) and resolves with its reply. */
  pythonClient(queue: string, request: Record<string, unknown>): Promise<PythonReply> {
    return new Promise((resolve, reject) => {
      execFileTracked(requirePython(PYTHON_MODULES), [path.join(PEER, 'otel_peer.py'), JSON.stringify(request)], { cwd: PEER, env: this.pythonEnv(queue), timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`the Python client failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as PythonReply);
      });
    });
  }

  /** Stops the Python workers, then {@link AppFixture.cleanup}. */
  override async cleanup(): Promise<void> {
    for (const child of this.processes.splice(0)) await stopTracked(child);
    await super.cleanup();
  }
}
