/**
 * Type tests of argument schemas (checked by `tsc --noEmit`, the package's `typecheck`; an
 * `@ts-expect-error` whose line compiles fails it): with `schema`, `delay`/`applyAsync` take the
 * schemas' *inputs*, the function's parameters are their *outputs* (no annotations needed), and the
 * result is the function's return or, with `resultSchema`, that schema's output. Same for zod,
 * valibot and arktype, since all three are read through Standard Schema's types.
 */
import { expectTypeOf } from 'vitest';
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { Celery, type AsyncResult, type BoundTaskContext, type Task } from './index.js';

const app = new Celery('types');

// zod: a transform makes input and output differ; the function sees the output without annotations.
const signup = app.task('t.signup', (user) => {
  expectTypeOf(user).toEqualTypeOf<{ email: string; joined: Date }>();
  return user.joined.getFullYear();
}, { schema: z.object({ email: z.email(), joined: z.string().transform((s) => new Date(s)) }) });
expectTypeOf(signup).toEqualTypeOf<Task<[{ email: string; joined: string }], number>>();
expectTypeOf<ReturnType<typeof signup.delay>>().resolves.toEqualTypeOf<AsyncResult<number>>();
// @ts-expect-error the caller sends the input: a string date, not a Date
void (() => signup.delay({ email: 'a@b.co', joined: new Date() }));

// valibot and arktype, one parameter each (a schema alone is the first parameter's).
const vUser = v.object({ name: v.string(), tags: v.array(v.string()) });
const greet = app.task('t.greet', (u) => `${u.name} ${u.tags.length}`, { schema: vUser });
expectTypeOf(greet).toEqualTypeOf<Task<[{ name: string; tags: string[] }], string>>();
const aUser = type({ name: 'string', age: 'number.integer' });
const older = app.task('t.older', (u) => u.age + 1, { schema: aUser });
expectTypeOf<Parameters<typeof older.delay>>().toEqualTypeOf<[{ name: string; age: number }]>();
// @ts-expect-error age must be a number
void (() => older.delay({ name: 'ada', age: '36' }));

// One schema per parameter; `null` is not validated (unknown); trailing parameters that accept undefined are optional.
const move = app.task('t.move', (id, to, note) => {
  expectTypeOf(id).toEqualTypeOf<number>();
  expectTypeOf(to).toEqualTypeOf<'n' | 's'>();
  expectTypeOf(note).toEqualTypeOf<unknown>();
  return { id, to };
}, { schema: [z.number(), z.enum(['n', 's']), null] });
expectTypeOf<Parameters<typeof move.delay>>().toEqualTypeOf<[number, 'n' | 's', unknown?]>();
expectTypeOf(move).toEqualTypeOf<Task<[number, 'n' | 's', unknown?], { id: number; to: 'n' | 's' }>>();
const page = app.task('t.page', (size) => size, { schema: [z.number().default(25)] });
expectTypeOf<Parameters<typeof page.delay>>().toEqualTypeOf<[(number | undefined)?]>();
expectTypeOf(page).toEqualTypeOf<Task<[(number | undefined)?], number>>();

// Bound: the context first, then the schemas' outputs.
const bound = app.task('t.bound', (ctx, n) => {
  expectTypeOf(ctx).toEqualTypeOf<BoundTaskContext>();
  return n.toFixed(1);
}, { bind: true, schema: [z.coerce.number()] });
expectTypeOf<Parameters<typeof bound.delay>>().toEqualTypeOf<[unknown?]>();
expectTypeOf(bound).toEqualTypeOf<Task<[unknown?], string>>();

// resultSchema: the result type is its output, and the function must return its input (or a promise of it).
const when = app.task('t.when', async (iso) => new Date(iso), { schema: z.string(), resultSchema: z.date().transform((d) => d.toISOString()) });
expectTypeOf(when).toEqualTypeOf<Task<[string], string>>();
// @ts-expect-error the function returns a number where the result schema takes a Date
app.task('t.wrong', (iso) => iso.length, { schema: z.string(), resultSchema: z.date() });
// Without `schema`, resultSchema still types the result.
const stamped = app.task('t.stamped', (n: number) => new Date(n), { resultSchema: z.date().transform((d) => d.getTime()) });
expectTypeOf(stamped).toEqualTypeOf<Task<[n: number], number>>();

// Tasks without schemas are typed as before.
const add = app.task('t.add', (x: number, y: number) => x + y);
expectTypeOf(add).toEqualTypeOf<Task<[x: number, y: number], number>>();
