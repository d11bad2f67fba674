/**
 * Argument schemas (Celery 5.5 `pydantic=True`) with three Standard Schema libraries: good input
 * reaches the function as the schema's output, bad input fails the task with TaskValidationError
 * listing every issue (path from the parameter's name, message), before the function runs; the
 * failure is stored as Python reads it; async validators, kwargs binding, defaults, result schemas,
 * autoretry and `validateOnApply`. Runs through `apply()` and eager `applyAsync` (the worker's path
 * is the same `Task.invoke`; apps/interop/test/schema.test.ts runs it on real workers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { prepareException } from '@cq/backend';
import { Celery } from './app.js';
import { ImproperlyConfigured, TaskValidationError } from './errors.js';
import { createLogger } from './logging.js';
import { before_task_publish } from './signals.js';
import type { StandardSchema } from './schema.js';
import { Task, type TaskApp, type TaskOptions } from './task.js';
import type { TaskContext } from './context.js';
import type { EagerResult } from './eager-result.js';

const offs: Array<() => void> = [];
afterEach(() => { for (const off of offs.splice(0)) off(); });

const app = new Celery('schema', { broker_url: 'memory://schema-test', result_backend: 'memory://' });
app.log = createLogger({ level: 'critical' });

interface User { email: string; age: number }

/** The same user schema in each library: an email lower-cased by a transform, an integer age ≥ 18. */
const users: Record<'zod' | 'valibot' | 'arktype', StandardSchema<User, User>> = {
  zod: z.object({ email: z.email().transform((s) => s.toLowerCase()), age: z.number().int().min(18) }),
  valibot: v.object({ email: v.pipe(v.string(), v.email(), v.transform((s) => s.toLowerCase())), age: v.pipe(v.number(), v.integer(), v.minValue(18)) }),
  arktype: type({ email: 'string.email', age: 'number.integer >= 18' }).pipe((u) => ({ ...u, email: u.email.toLowerCase() })),
};

/** The error of a failed EagerResult. */
async function failure(result: EagerResult<unknown>): Promise<Error> {
  expect(result.status).toBe('FAILURE');
  return (await result.result()) as Error;
}

/** The issues of a failed EagerResult, as `path: message` lines. */
async function issuesOf(result: EagerResult<unknown>): Promise<string[]> {
  const error = await failure(result);
  expect(error).toBeInstanceOf(TaskValidationError);
  return (error as TaskValidationError).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe.each(Object.entries(users))('schema with %s', (vendor, User) => {
  const seen: unknown[] = [];
  const signup = app.task(`schema.${vendor}.signup`, (user) => {
    seen.push(user);
    return `${user.email}:${user.age}`;
  }, { schema: User });

  it('hands the transformed input to the function', async () => {
    seen.length = 0;
    const r = await signup.apply([{ email: 'Ada@Example.COM', age: 36 }]);
    expect(r.status).toBe('SUCCESS');
    expect(await r.get()).toBe('ada@example.com:36');
    expect(seen).toEqual([{ email: 'ada@example.com', age: 36 }]);
  });

  it('refuses bad input before the function runs, listing every issue by path', async () => {
    seen.length = 0;
    const r = await signup.apply([{ email: 'not-an-email', age: 12 }]);
    expect(r.status).toBe('FAILURE');
    expect(seen).toEqual([]);
    const error = await failure(r);
    expect(error).toMatchObject({ name: 'ValidationError', code: 'CQ_APP_VALIDATION_ERROR', taskName: `schema.${vendor}.signup` });
    const lines = await issuesOf(r);
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.startsWith('user.email: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('user.age: '))).toBe(true);
    expect(error.message.split('\n')[0]).toBe(`2 validation errors for schema.${vendor}.signup`);
    // A wrong type at the root is reported at the parameter itself.
    const root = await signup.apply(['ada' as never]);
    expect(await issuesOf(root)).toEqual([expect.stringMatching(/^user: .+/)]);
  });
});

describe('argument schemas', () => {
  it('validates keyword arguments bound by name (a Python caller), with null entries left alone', async () => {
    const move = app.task('schema.move', (id, to, note) => ({ id, to, note }), {
      schema: [z.coerce.number().int(), z.enum(['north', 'south']), null],
    });
    // Task.apply (Celery's), not Function.prototype.apply: null args, keywords only.
    // eslint-disable-next-line prefer-spread
    const ok = await move.apply(null, { kwargs: { id: '7', to: 'north', note: { any: 'thing' } } });
    expect(await ok.get()).toEqual({ id: 7, to: 'north', note: { any: 'thing' } });
    // eslint-disable-next-line prefer-spread
    const bad = await move.apply(null, { kwargs: { id: 'x', to: 'west' } });
    expect(await issuesOf(bad)).toEqual([
      'id: Invalid input: expected number, received NaN',
      'to: Invalid option: expected one of "north"|"south"',
    ]);
  });

  it('validates a missing argument as undefined, so a schema default fills it', async () => {
    const page = app.task('schema.page', (size: number) => size * 2, { schema: [z.number().default(25)] });
    expect(await (await page.apply([])).get()).toBe(50);
  });

  it('awaits async validators (Standard Schema may return a promise)', async () => {
    const known = new Set(['ada']);
    const greet = app.task('schema.greet', (name) => `hi ${name}`, {
      schema: z.string().refine(async (n) => { await new Promise((r) => setTimeout(r, 5)); return known.has(n); }, 'unknown user'),
    });
    expect(await (await greet.apply(['ada'])).get()).toBe('hi ada');
    expect(await issuesOf(await greet.apply(['bob']))).toEqual(['name: unknown user']);
  });

  it('passes the context first to a bound task and validates the arguments after it', async () => {
    const bound = app.task('schema.bound', (ctx: TaskContext, n) => `${ctx.name}:${n + 1}`, { bind: true, schema: [z.number()] });
    expect(await (await bound.apply([1])).get()).toBe('schema.bound:2');
    expect(await issuesOf(await bound.apply(['1' as never]))).toEqual(['n: Invalid input: expected number, received string']);
  });

  it('stores the result schema\'s output, and refuses a result it does not accept', async () => {
    const when = app.task('schema.when', (iso: string) => new Date(iso), { resultSchema: z.date().transform((d) => d.getTime()) });
    expect(await (await when.apply(['2025-01-02T03:04:05Z'])).get()).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
    expect(await issuesOf(await when.apply(['nonsense']))).toEqual(['return: Invalid input: expected date, received Date']);
    const both = app.task('schema.both', async (n) => ({ n }), { schema: z.number(), resultSchema: z.object({ n: z.number().max(9) }) });
    expect(await (await both.apply([3])).get()).toEqual({ n: 3 });
    expect(await issuesOf(await both.apply([30]))).toEqual(['return.n: Too big: expected number to be <=9']);
  });

  it('runs on eager applyAsync after the arguments went through the serializer', async () => {
    const eager = new Celery('schema-eager', { broker_url: 'memory://schema-eager', task_always_eager: true });
    eager.log = app.log;
    const stamp = eager.task('schema.stamp', (at) => at.getUTCFullYear(), { schema: z.iso.datetime().transform((s) => new Date(s)) });
    expect(await (await stamp.delay('2024-05-06T00:00:00Z')).get()).toBe(2024);
    const r = await stamp.delay('yesterday');
    await expect(r.get()).rejects.toBeInstanceOf(TaskValidationError);
  });

  it('fails without retrying, unless autoretryFor matches the validation error', async () => {
    let runs = 0;
    const counted = z.number().refine(() => { runs += 1; return false; }, 'never good');
    const once = app.task('schema.once', (n) => n, { schema: counted, autoretryFor: [TypeError] });
    const r1 = await once.apply([1]);
    expect([(await failure(r1)).name, runs]).toEqual(['ValidationError', 1]);
    runs = 0;
    const retried = app.task('schema.retried', (n) => n, { schema: counted, autoretryFor: [TaskValidationError], maxRetries: 2 });
    const r2 = await retried.apply([1]);
    expect([runs, (await failure(r2)).name]).toEqual([3, 'ValidationError']);
  });

  it('is stored as a ValidationError whose only argument is the readable message (what Python rebuilds)', async () => {
    const signup = app.task('schema.stored', (user) => user, { schema: users.zod });
    const error = await failure(await signup.apply([{ email: 'x', age: 1 }]));
    expect(prepareException(error)).toEqual({
      exc_type: 'ValidationError',
      exc_module: null,
      exc_message: ['2 validation errors for schema.stored\nuser.email\n  Invalid email address\nuser.age\n  Too small: expected number to be >=18'],
    });
  });

  it('takes schemas from a base class that sets them for every task made with it', async () => {
    class Positive extends Task {
      constructor(a: TaskApp, name: string, fn: (...args: never[]) => unknown, options: TaskOptions = {}) {
        super(a, name, fn, { schema: [z.number().positive()], ...options });
      }
    }
    const sqrt = app.task('schema.sqrt', (n: number) => Math.sqrt(n), { base: Positive });
    expect(await (await sqrt.apply([9])).get()).toBe(3);
    expect(await issuesOf(await sqrt.apply([-9]))).toEqual(['n: Too small: expected number to be >0']);
  });
});

describe('schema options', () => {
  it('refuses, when the task is made, what is not a Standard Schema', () => {
    expect(() => app.task('schema.bad1', (x: number) => x, { schema: { parse: () => 1 } as never })).toThrow(/task schema.bad1: schema must be a Standard Schema/);
    expect(() => app.task('schema.bad2', (x: number) => x, { schema: [z.number(), 'int'] as never })).toThrow(ImproperlyConfigured);
    expect(() => app.task('schema.bad3', (x: number) => x, { resultSchema: {} as never })).toThrow(/resultSchema must be a Standard Schema/);
  });
});

describe('validateOnApply', () => {
  it('rejects applyAsync before anything is sent, and sends the caller\'s own arguments when they pass', async () => {
    const published: unknown[] = [];
    offs.push(before_task_publish.connect((e) => { if (e.sender === 'schema.checked') published.push(e.body); }));
    const checked = app.task('schema.checked', (user) => user.email, { schema: users.zod, validateOnApply: true });
    await expect(checked.delay({ email: 'bad', age: 40 })).rejects.toMatchObject({ name: 'ValidationError', issues: [{ path: ['user', 'email'] }] });
    await expect(checked.applyAsync(null, { kwargs: { user: { email: 'A@B.CO', age: 'x' } } })).rejects.toBeInstanceOf(TaskValidationError);
    expect(published).toEqual([]);
    await checked.delay({ email: 'A@B.CO', age: 40 });
    expect(published).toEqual([[[{ email: 'A@B.CO', age: 40 }], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]]);
    await app.close();
  });
});
