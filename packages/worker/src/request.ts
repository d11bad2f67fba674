/**
 * One task message being run (Celery `celery/worker/request.py` + `celery/app/trace.py`): acks at the
 * right moment, runs the function with its context and limits, stores the outcome, and handles the
 * Retry / Ignore / Reject signals.
 */
import { performance } from 'node:perf_hooks';
import type { Message } from '@cq/kombu';
import {
  Ignore, Reject, Retry, SoftTimeLimitExceeded, TimeLimitExceeded, pythonRepr, runWithContext,
  type Celery, type Task, type TaskContext, type TaskRequest, type TaskRequestFields,
} from '@cq/app';
import type { Backend, TaskRequest as BackendRequest } from '@cq/backend';
import type { Logger } from '@cq/app';

export interface RequestEnv {
  app: Celery;
  backend: Backend | null;
  hostname: string;
  log: Logger;
  /** Worker-wide limits in seconds (`--time-limit`, `--soft-time-limit`). */
  timeLimit: number | null;
  softTimeLimit: number | null;
  /** Called when the task finished, whatever the outcome. */
  onDone?: (request: Request, outcome: 'SUCCESS' | 'FAILURE' | 'RETRY' | 'IGNORED' | 'REJECTED') => void;
}

/** The request fields a result backend records (ids, and the extended-result fields). */
export function backendRequest(fields: TaskRequestFields, hostname: string, routingKey: string): BackendRequest {
  return {
    task: fields.name, args: fields.args, kwargs: fields.kwargs, hostname, retries: fields.retries,
    group: fields.group ?? null, parentId: fields.parentId ?? null, deliveryInfo: { routingKey },
    replyTo: fields.replyTo, correlationId: fields.correlationId,
  };
}

export class Request {
  readonly request: TaskRequest;
  readonly acksLate: boolean;
  private readonly abort = new AbortController();
  startedAt = 0;

  constructor(readonly message: Message, readonly fields: TaskRequestFields, readonly task: Task, private readonly env: RequestEnv) {
    this.request = {
      id: fields.id, task: fields.name, args: fields.args, kwargs: fields.kwargs, retries: fields.retries,
      eta: fields.eta, expires: fields.expires, hostname: env.hostname, deliveryInfo: message.deliveryInfo,
      replyTo: fields.replyTo ?? null, correlationId: fields.correlationId ?? null, parentId: fields.parentId ?? null,
      rootId: fields.rootId ?? null, group: fields.group ?? null, groupIndex: fields.groupIndex ?? null,
      origin: fields.origin ?? null, timeLimit: fields.timeLimit, ignoreResult: fields.ignoreResult,
      headers: fields.headers, embed: fields.embed, isEager: false,
    };
    this.acksLate = task.options.acksLate ?? env.app.conf.task_acks_late;
  }

  get id(): string {
    return this.fields.id;
  }

  /** What the result backend records for extended results and ids. */
  private storeInfo(): BackendRequest {
    return backendRequest(this.fields, this.env.hostname, this.message.deliveryInfo.routing_key);
  }

  /** Stops the task cooperatively (revoke, cold shutdown). */
  cancel(reason: unknown): void {
    this.abort.abort(reason);
  }

  /** Runs the task to completion; never throws. */
  async execute(): Promise<void> {
    const { app, backend, log } = this.env;
    const conf = app.conf;
    const topts = this.task.options;
    const ignoreResult = this.fields.ignoreResult || (topts.ignoreResult ?? conf.task_ignore_result);
    const storeErrors = !ignoreResult || (topts.storeErrorsEvenIfIgnored ?? conf.task_store_errors_even_if_ignored);
    const info = this.storeInfo();
    let outcome: 'SUCCESS' | 'FAILURE' | 'RETRY' | 'IGNORED' | 'REJECTED' = 'SUCCESS';
    this.startedAt = performance.now();
    try {
      if (!this.acksLate) await this.settle('ack');
      if (backend && !ignoreResult && (topts.trackStarted ?? conf.task_track_started)) {
        await backend.markAsStarted(this.id, { pid: process.pid, hostname: this.env.hostname }, info);
      }
      const value = await this.run();
      if (backend && !ignoreResult) await backend.markAsDone(this.id, value ?? null, info);
      log.info(`Task ${this.fields.name}[${this.id}] succeeded in ${this.elapsed()}s: ${pythonRepr(value ?? null, 256)}`);
    } catch (err) {
      outcome = await this.handleError(err, storeErrors, info);
    } finally {
      if (this.acksLate && !this.message.acknowledged) {
        const requeue = outcome === 'FAILURE' && !conf.task_acks_on_failure_or_timeout;
        await this.settle(requeue ? 'requeue' : 'ack');
      }
      this.env.onDone?.(this, outcome);
    }
  }

  private async run(): Promise<unknown> {
    const [hardMsg, softMsg] = this.fields.timeLimit;
    const hard = hardMsg ?? this.task.options.timeLimit ?? this.env.timeLimit ?? this.env.app.conf.task_time_limit;
    const soft = softMsg ?? this.task.options.softTimeLimit ?? this.env.softTimeLimit ?? this.env.app.conf.task_soft_time_limit;
    const context = this.context();
    const timers: NodeJS.Timeout[] = [];
    try {
      const running = Promise.resolve().then(() => runWithContext(context, () => this.task.invoke(context, this.fields.args, this.fields.kwargs)));
      const races: Array<Promise<unknown>> = [running];
      if (soft) {
        races.push(new Promise((_, reject) => timers.push(setTimeout(() => {
          const err = new SoftTimeLimitExceeded(`soft time limit (${soft} s) exceeded`);
          this.abort.abort(err);
          // Cooperative tasks see the signal and throw; the race rejects only at the hard limit
          // or, without one, right away, so a task ignoring the signal cannot hold the slot forever.
          if (!hard) reject(err);
        }, soft * 1000))));
      }
      if (hard) {
        races.push(new Promise((_, reject) => timers.push(setTimeout(() => {
          const err = new TimeLimitExceeded(`hard time limit (${hard} s) exceeded`);
          this.abort.abort(err);
          reject(err);
        }, hard * 1000))));
      }
      return races.length === 1 ? await running : await Promise.race(races);
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  private context(): TaskContext {
    const self = this;
    return {
      name: this.fields.name,
      request: this.request,
      signal: this.abort.signal,
      retry(options = {}): never {
        throw new Retry(`Retry in ${options.countdown ?? self.task.options.defaultRetryDelay ?? self.env.app.conf.task_default_retry_delay}s`, options);
      },
      async updateState({ state, meta }) {
        if (self.env.backend) await self.env.backend.storeResult(self.id, meta ?? null, state, { request: self.storeInfo() });
      },
    };
  }

  private async handleError(err: unknown, storeErrors: boolean, info: BackendRequest): Promise<'FAILURE' | 'RETRY' | 'IGNORED' | 'REJECTED'> {
    const { backend, log } = this.env;
    if (err instanceof Ignore) return 'IGNORED';
    if (err instanceof Reject) {
      log.info(`Task ${this.fields.name}[${this.id}] rejected: ${err.message} (requeue=${err.requeue})`);
      await this.settle(err.requeue ? 'requeue' : 'reject');
      return 'REJECTED';
    }
    if (err instanceof Retry) {
      const retried = await this.retry(err).catch((e: unknown) => e);
      if (retried === true) return 'RETRY';
      err = retried;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    if (backend && storeErrors) {
      await backend.markAsFailure(this.id, error, error.stack ?? null, info).catch((e: unknown) =>
        log.error(`Task ${this.fields.name}[${this.id}] could not store its failure: ${String(e)}`));
    }
    log.error(`Task ${this.fields.name}[${this.id}] raised unexpected: ${error.name}(${pythonRepr(error.message)})\n${error.stack ?? ''}`);
    return 'FAILURE';
  }

  /** Re-sends the task with retries + 1 (Celery `Task.retry`); returns true or the error to fail with. */
  private async retry(signal: Retry): Promise<true> {
    const { app, backend, log } = this.env;
    const max = signal.options.maxRetries !== undefined ? signal.options.maxRetries : this.task.options.maxRetries !== undefined ? this.task.options.maxRetries : app.conf.task_default_max_retries;
    if (max !== null && this.fields.retries >= max) {
      if (signal.options.exc !== undefined) throw signal.options.exc;
      const e = new Error(`Can't retry ${this.fields.name}[${this.id}] args:${JSON.stringify(this.fields.args)} kwargs:${JSON.stringify(this.fields.kwargs)}`);
      e.name = 'MaxRetriesExceededError';
      throw e;
    }
    const countdown = signal.options.countdown ?? this.task.options.defaultRetryDelay ?? app.conf.task_default_retry_delay;
    await app.sendTask(this.fields.name, this.fields.args, {
      kwargs: this.fields.kwargs, taskId: this.id, retries: this.fields.retries + 1,
      ...(signal.options.eta ? { eta: signal.options.eta } : { countdown }),
      ...(this.fields.expires ? { expires: this.fields.expires } : {}),
      ...(this.fields.rootId ? { rootId: this.fields.rootId } : {}),
      parentId: this.id,
      queue: this.message.deliveryInfo.routing_key,
      ...(this.fields.replyTo ? { replyTo: this.fields.replyTo } : {}),
    }, this.task);
    if (backend) await backend.markAsRetry(this.id, signal.options.exc ?? signal, null, this.storeInfo());
    log.info(`Task ${this.fields.name}[${this.id}] retry: ${signal.message}`);
    return true;
  }

  private async settle(how: 'ack' | 'reject' | 'requeue'): Promise<void> {
    if (this.message.acknowledged) return;
    if (how === 'ack') await this.message.ack();
    else await this.message.reject(how === 'requeue');
  }

  private elapsed(): string {
    return ((performance.now() - this.startedAt) / 1000).toFixed(6).replace(/0+$/, '').replace(/\.$/, '.0');
  }
}
