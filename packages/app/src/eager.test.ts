/**
 * Task.apply() and task_always_eager (Celery `Task.apply`, `build_tracer(eager=True)`, `EagerResult`):
 * the handlers and signals in trace.py's order, propagate semantics, retries run at once, arguments
 * through the serializer, results stored only with task_store_eager_result. No broker is involved.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { EncodeError } from '@cq/kombu';
import { Celery } from './app.js';
import { EagerResult } from './eager-result.js';
import { Ignore, Retry } from './errors.js';
import { task_failure, task_postrun, task_prerun, task_retry, task_success } from './signals.js';
import { Task } from './task.js';
import type { ExceptionInfo } from './signals.js';
import type { TaskContext } from './context.js';

const offs: Array<() => void> = [];
afterEach(() => { for (const off of offs.splice(0)) off(); });

/** Records the signals about `name` into `order`. */
function recordSignals(order: string[], name: string): void {
  const mine = (task: unknown) => (task as Task).name === name;
  offs.push(task_prerun.connect((e) => { if (mine(e.sender)) order.push('task_prerun'); }));
  offs.push(task_success.connect((e) => { if (mine(e.sender)) order.push('task_success'); }));
  offs.push(task_failure.connect((e) => { if (mine(e.sender)) order.push('task_failure'); }));
  offs.push(task_retry.connect((e) => { if (mine(e.sender)) order.push('task_retry'); }));
  offs.push(task_postrun.connect((e) => { if (mine(e.sender)) order.push(`task_postrun:${e.state}`); }));
}

/** A task class recording every handler call in `order` (shared by all its instances' calls). */
class Recording extends Task {
  static order: string[] = [];
  calls = 0;
  override beforeStart(taskId: string, args: unknown[]): void { this.calls += 1; Recording.order.push(`beforeStart:${args.join(',')}`); }
  override onSuccess(retval: unknown): void { Recording.order.push(`onSuccess:${String(retval)}`); }
  override onFailure(exc: Error, _id: string, _a: unknown[], _k: Record<string, unknown>, einfo: ExceptionInfo): void {
    Recording.order.push(`onFailure:${exc.message}:${einfo.type}`);
  }
  override onRetry(exc: unknown): void { Recording.order.push(`onRetry:${(exc as Error).message}`); }
  override afterReturn(status: string, retval: unknown, _id: string, _a: unknown[], _k: Record<string, unknown>, einfo: unknown): void {
    Recording.order.push(`afterReturn:${status}:${retval instanceof Error ? retval.message : String(retval)}:${String(einfo)}`);
  }
}

describe('Task.apply (eager)', () => {
  const app = new Celery('eager', { broker_url: 'memory://eager' });
  const add = app.task('eager.add', (x: number, y: number) => {
    Recording.order.push('run');
    return x + y;
  }, { base: Recording });
  const fail = app.task('eager.fail', (why: string) => {
    Recording.order.push('run');
    const e = new Error(why);
    e.name = 'ValueError';
    throw e;
  }, { base: Recording });

  it('runs the handlers between the signals in Celery order and returns an EagerResult', async () => {
    Recording.order = [];
    recordSignals(Recording.order, 'eager.add');
    const r = await add.apply([2, 3], { taskId: 'fixed-id' });
    expect(Recording.order).toEqual(['task_prerun', 'beforeStart:2,3', 'run', 'onSuccess:5', 'task_success', 'afterReturn:SUCCESS:5:null', 'task_postrun:SUCCESS']);
    expect(r).toBeInstanceOf(EagerResult);
    expect([r.id, r.status, r.name]).toEqual(['fixed-id', 'SUCCESS', 'eager.add']);
    expect([await r.ready(), await r.successful(), await r.failed(), await r.get(), await r.traceback()]).toEqual([true, true, false, 5, null]);
    expectTypeOf(r.get).returns.resolves.toEqualTypeOf<number>();
  });

  it('one instance per task name: state set by handlers is shared by every call', async () => {
    expect(add).toBeInstanceOf(Recording);
    expectTypeOf(add.calls).toEqualTypeOf<number>();
    const before = add.calls;
    await add.apply([1, 1]);
    await add.apply([1, 2]);
    expect(app.tasks.get('eager.add')).toBe(add);
    expect(add.calls - before).toBe(2);
    expect(fail).not.toBe(add);
  });

  it('a failure is returned in the result (onFailure, task_failure, afterReturn), get() throws the task\'s own error', async () => {
    Recording.order = [];
    recordSignals(Recording.order, 'eager.fail');
    const r = await fail.apply(['nope']);
    expect(Recording.order).toEqual([
      'task_prerun', 'beforeStart:nope', 'run', 'onFailure:nope:ValueError', 'task_failure', 'afterReturn:FAILURE:nope:null', 'task_postrun:FAILURE',
    ]);
    expect([r.status, await r.failed(), await r.successful(), await r.ready()]).toEqual(['FAILURE', true, false, true]);
    const thrown = await r.get().catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe('ValueError');
    expect(await r.get({ propagate: false })).toBe(thrown);
    expect(await r.traceback()).toContain('ValueError: nope');
  });

  it('throw: true (or task_eager_propagates) rejects with the error before any failure handler', async () => {
    Recording.order = [];
    await expect(fail.apply(['loud'], { throw: true })).rejects.toMatchObject({ name: 'ValueError', message: 'loud' });
    expect(Recording.order).toEqual(['beforeStart:loud', 'run']);
    const strict = new Celery('eager-strict', { broker_url: 'memory://eager', task_eager_propagates: true });
    const boom = strict.task('strict.boom', () => { throw new Error('strict'); });
    await expect(boom.apply()).rejects.toThrow('strict');
    expect((await boom.apply([], { throw: false })).status).toBe('FAILURE');
  });

  it('a retry runs again at once with retries + 1, whatever the countdown; onRetry and task_retry for each', async () => {
    const seen: number[] = [];
    const retried: string[] = [];
    class Flaky extends Task {
      override onRetry(exc: unknown, taskId: string): void { retried.push(`${taskId}:${(exc as Error).message}`); }
    }
    const flaky = app.task('eager.flaky', (ctx: TaskContext, n: number) => {
      seen.push(ctx.request.retries);
      expect(ctx.request.isEager).toBe(true);
      if (ctx.request.retries < 2) ctx.retry({ countdown: 600, exc: new Error(`try ${ctx.request.retries}`) });
      return n * 10;
    }, { bind: true, base: Flaky });
    const started = Date.now();
    const r = await flaky.apply([4], { taskId: 'flaky-1' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect([r.status, await r.get(), r.id]).toEqual(['SUCCESS', 40, 'flaky-1']);
    expect(seen).toEqual([0, 1, 2]);
    expect(retried).toEqual(['flaky-1:try 0', 'flaky-1:try 1']);
    // With throw, the Retry itself comes out (Celery's propagate re-raises it).
    await expect(flaky.apply([1], { throw: true })).rejects.toBeInstanceOf(Retry);
  });

  it('autoretryFor retries eagerly; past maxRetries the error fails the task', async () => {
    let runs = 0;
    const auto = app.task('eager.auto', () => {
      runs += 1;
      const e = new Error('transient');
      e.name = 'ConnectionError';
      throw e;
    }, { autoretryFor: ['ConnectionError'], maxRetries: 2 });
    const r = await auto.apply();
    expect(runs).toBe(3);
    expect(r.status).toBe('FAILURE');
    await expect(r.get()).rejects.toThrow('transient');
  });

  it('Ignore gives IGNORED without handlers; get() returns null', async () => {
    Recording.order = [];
    const ignored = app.task('eager.ignore', () => { throw new Ignore('skip'); }, { base: Recording });
    const r = await ignored.apply();
    expect([r.status, await r.get(), await r.ready()]).toEqual(['IGNORED', null, true]);
    expect(Recording.order).toEqual(['beforeStart:']);
  });

  it('a handler that throws rejects the call even without throw (Celery re-raises outside the body when eager)', async () => {
    class Broken extends Task {
      override onSuccess(): void { throw new Error('handler bug'); }
    }
    const t = app.task('eager.broken', () => 1, { base: Broken });
    await expect(t.apply()).rejects.toThrow('handler bug');
  });

  it('EagerResult.revoke marks it REVOKED; get() then throws', async () => {
    const r = await add.apply([1, 1]);
    await r.revoke();
    expect(r.status).toBe('REVOKED');
    await expect(r.get()).rejects.toThrow();
    await r.forget();
  });
});

describe('task_always_eager', () => {
  const app = new Celery('always', { broker_url: 'memory://never-used', task_always_eager: true });
  const echo = app.task('always.echo', (when: unknown, extra?: unknown) => ({ when, type: typeof when, extra }), { params: ['when', 'extra'] });

  it('delay and applyAsync run here and give an EagerResult; arguments go through the task serializer', async () => {
    const r = await echo.delay(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
    expect(r).toBeInstanceOf(EagerResult);
    expect(await r.get()).toEqual({ when: '2024-01-02T03:04:05.000000+00:00', type: 'string', extra: undefined });
    const kw = await echo.applyAsync(['x'], { kwargs: { extra: { n: 1 } } });
    expect(await kw.get()).toEqual({ when: 'x', type: 'string', extra: { n: 1 } });
    // What a broker could not carry fails here too.
    await expect(echo.delay(new Date(Number.NaN))).rejects.toBeInstanceOf(EncodeError);
  });

  it('stores nothing unless task_store_eager_result; with it the backend has the result', async () => {
    const plain = new Celery('always-plain', { broker_url: 'memory://x', result_backend: 'memory://', task_always_eager: true });
    const t1 = plain.task('always.one', () => 1);
    const r1 = await t1.delay();
    expect(await plain.asyncResult(r1.id).state()).toBe('PENDING');
    const storing = new Celery('always-store', { broker_url: 'memory://x', result_backend: 'memory://', task_always_eager: true, task_store_eager_result: true });
    const t2 = storing.task('always.two', () => 2);
    const r2 = await t2.delay();
    expect(await storing.asyncResult(r2.id).get({ timeout: 1 })).toBe(2);
    await plain.close();
    await storing.close();
  });

  it('send_task is not affected (as Celery): it still publishes', async () => {
    const sent = await app.sendTask('always.echo', ['y']);
    expect(sent).not.toBeInstanceOf(EagerResult);
    await app.close();
  });
});
