import { describe, expect, expectTypeOf, it } from 'vitest';
import { Celery } from './app.js';
import type { AsyncResult } from './result.js';
import type { Task } from './task.js';
import type { TaskContext } from './context.js';

describe('app.task', () => {
  const app = new Celery('t', { broker_url: 'memory://task-test', result_backend: 'memory://' });

  it('infers Task<Args, Result> from the function, bound or not', () => {
    const add = app.task('t.add', (x: number, y: number) => x + y);
    expectTypeOf(add).toEqualTypeOf<Task<[x: number, y: number], number>>();
    expectTypeOf(add.delay).parameters.toEqualTypeOf<[x: number, y: number]>();
    expectTypeOf(add.delay).returns.resolves.toEqualTypeOf<AsyncResult<number>>();
    const fetch = app.task('t.fetch', async (url: string) => url.length);
    expectTypeOf(fetch).toEqualTypeOf<Task<[url: string], number>>();
    const bound = app.task('t.bound', (ctx: TaskContext, n: number) => `${ctx.request.id}:${n}`, { bind: true });
    expectTypeOf(bound.delay).parameters.toEqualTypeOf<[n: number]>();
    // @ts-expect-error wrong argument type is refused
    void (() => add.delay('2', 3));
    expect(add.name).toBe('t.add');
  });

  it('binds keyword arguments by name like Python, and refuses unknown or duplicate ones', () => {
    const fn = app.task('t.kw', (a: number, b: number, c = 3) => a + b + c);
    expect(fn.paramNames).toEqual(['a', 'b', 'c']);
    expect(fn.bindArguments([1], { b: 2 })).toEqual([1, 2]);
    expect(fn.bindArguments([], { c: 30, a: 1 })).toEqual([1, undefined, 30]);
    expect(() => fn.bindArguments([1], { a: 5 })).toThrow(/multiple values for argument 'a'/);
    expect(() => fn.bindArguments([1], { zzz: 5 })).toThrow(/unexpected keyword argument 'zzz'/);
    const rest = app.task('t.rest', (a: number, extra: Record<string, unknown>) => ({ a, extra }), { acceptsKwargs: true });
    expect(rest.paramNames).toEqual(['a']);
    expect(rest.bindArguments([], { a: 1, z: 2 })).toEqual([1, { z: 2 }]);
    const bound = app.task('t.b2', (_ctx: TaskContext, first: string) => first, { bind: true });
    expect(bound.paramNames).toEqual(['first']);
    const explicit = app.task('t.ex', (...xs: number[]) => xs.length, { params: ['p', 'q'] });
    expect(explicit.bindArguments([], { q: 2 })).toEqual([undefined, 2]);
  });

  it('sends and runs through the in-memory transport and backend with the worker-free path of results', async () => {
    const add = app.task('t.add2', (x: number, y: number) => x + y);
    const r = await add.applyAsync([2, 3], { countdown: 0, priority: 3, headers: { custom: 'h' } });
    expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await r.state()).toBe('PENDING');
    await expect(r.get({ timeout: 0.05 })).rejects.toMatchObject({ name: 'TimeoutError', code: 'CQ_APP_TIMEOUT' });
    await app.close();
  });

  it('fails fast on a bad task name or function', () => {
    expect(() => app.task('', () => 1)).toThrow(/non-empty name/);
    expect(() => app.task('t.x', 5 as never)).toThrow(/must be a function/);
  });
});
