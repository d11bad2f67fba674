/**
 * task_annotations as Celery resolves them (`celery/app/annotations.py` `resolve_all`, `Task.annotate`):
 * by exact name, then `'*'` applied after; the first entry of a list that answers; objects with
 * `annotate`/`annotateAny`; `@` wrappers; plus cq's glob keys.
 */
import { describe, expect, it } from 'vitest';
import { Celery } from './app.js';
import { ImproperlyConfigured } from './errors.js';
import { Task } from './task.js';
import type { TaskAnnotations } from './annotations.js';

function app(task_annotations: TaskAnnotations): Celery {
  return new Celery('anno', { broker_url: 'memory://anno', task_annotations });
}

describe('task_annotations', () => {
  it('sets options by exact name, by glob, and for every task; an exact name beats a glob', () => {
    const a = app({
      'tasks.add': { rateLimit: '10/s' },
      'tasks.*': { rateLimit: '1/m', timeLimit: 30 },
      'other.*': { timeLimit: 1 },
    });
    const add = a.task('tasks.add', () => 1, { rateLimit: '5/s', softTimeLimit: 3 });
    const mul = a.task('tasks.mul', () => 2);
    const none = a.task('misc.x', () => 3, { timeLimit: 9 });
    // Annotations win over the options given to app.task() (Celery sets them on the class after).
    expect(add.options).toMatchObject({ rateLimit: '10/s', softTimeLimit: 3 });
    expect(add.options.timeLimit).toBeUndefined();
    expect(mul.options).toMatchObject({ rateLimit: '1/m', timeLimit: 30 });
    expect(none.options).toEqual({ timeLimit: 9 });
  });

  it("'*' is applied after the by-name answer, so it wins a conflict (Celery resolve_all order)", () => {
    const a = app({ 'tasks.add': { rateLimit: '10/s', acksLate: false }, '*': { acksLate: true } });
    expect(a.task('tasks.add', () => 1).options).toMatchObject({ rateLimit: '10/s', acksLate: true });
    expect(a.task('tasks.sub', () => 1).options).toMatchObject({ acksLate: true });
  });

  it('a list: the first entry answering by name, then the first with a * answer', () => {
    const a = app([
      { 'tasks.add': { rateLimit: 'first' } },
      { 'tasks.add': { rateLimit: 'second', timeLimit: 2 }, '*': { priority: 1 } },
      { '*': { priority: 9 } },
    ]);
    expect(a.task('tasks.add', () => 1).options).toEqual({ rateLimit: 'first', priority: 1 });
  });

  it('objects with annotate/annotateAny and functions of the task', () => {
    const seen: string[] = [];
    const a = app([
      (task) => (task.name.endsWith('.slow') ? { timeLimit: 60 } : null),
      { annotate: (task) => { seen.push(task.name); return null; }, annotateAny: () => ({ trackStarted: true }) },
    ]);
    expect(a.task('x.slow', () => 1).options).toEqual({ timeLimit: 60, trackStarted: true });
    expect(a.task('x.fast', () => 1).options).toEqual({ trackStarted: true });
    expect(seen).toEqual(['x.fast']);
  });

  it('sets handlers (called with the task as this) and wraps methods with @ keys', async () => {
    const calls: string[] = [];
    const a = new Celery('anno-h', {
      broker_url: 'memory://anno',
      task_annotations: {
        'h.*': {
          onSuccess(this: Task, retval: unknown) { calls.push(`${this.name}:${String(retval)}`); },
          '@afterReturn': (original) => (...args: never[]) => { calls.push('around'); return original(...args); },
        },
      },
    });
    class Mine extends Task {
      override afterReturn(status: string): void { calls.push(`afterReturn:${status}`); }
    }
    const t = a.task('h.one', () => 7, { base: Mine });
    await t.apply();
    expect(calls).toEqual(['h.one:7', 'around', 'afterReturn:SUCCESS']);
  });

  it('refuses a string entry and a handler that is not a function', () => {
    expect(() => app('proj.annotations.MyAnnotation' as unknown as TaskAnnotations).task('t', () => 1)).toThrow(ImproperlyConfigured);
    expect(() => app({ '*': { onFailure: 'nope' as never } }).task('t', () => 1)).toThrow(/onFailure' must be a function/);
  });
});

describe('task classes (base, taskCls)', () => {
  class Counting extends Task {
    runs = 0;
  }

  it('base makes the task an instance of the class, with its members in the type', () => {
    const a = new Celery('cls', { broker_url: 'memory://cls' });
    const t = a.task('cls.t', (x: number) => x, { base: Counting });
    expect(t).toBeInstanceOf(Counting);
    t.runs += 1;
    expect((a.tasks.get('cls.t') as Counting).runs).toBe(1);
    expect(() => a.task('cls.bad', () => 1, { base: class {} as never })).toThrow(ImproperlyConfigured);
  });

  it("the app's taskCls is the default base (Celery task_cls)", () => {
    const a = new Celery('cls2', { broker_url: 'memory://cls' }, { taskCls: Counting });
    expect(a.task('cls2.t', () => 1)).toBeInstanceOf(Counting);
    expect(a.task('cls2.u', () => 1, { base: Task })).not.toBeInstanceOf(Counting);
  });
});
