/**
 * The built-in tasks every Celery worker has (Celery `celery/app/builtins.py`), so messages Python
 * clients send to them are run by cq workers too:
 *
 * | name | does |
 * |---|---|
 * | `celery.chord_unlock` | joins a chord on backends without native chords (see `chord-unlock.ts`) |
 * | `celery.backend_cleanup` | `backend.cleanup()` (scheduled daily by beat in Celery) |
 * | `celery.accumulate` | returns its args, or `args[index]` with the keyword `index` (used by `Task.replace`) |
 * | `celery.map(task, it)` | calls the registered task's function once per item, in this worker |
 * | `celery.starmap(task, it)` | same, spreading each item as the arguments |
 * | `celery.chunks(task, it, n)` | sends `it` in chunks of `n` as a group of `celery.starmap`; returns the GroupResult's tuple |
 * | `celery.group(tasks, result, group_id, partial_args)` | the pre-4 group task: sends each member with `group_id` |
 * | `celery.chain` | raises NotImplementedError, as in Celery ("chain is not a real task") |
 * | `celery.chord(header, body, partial_args)` | the pre-4 chord task: starts the chord |
 *
 * `registerBuiltins(app)` keeps tasks the application registered under these names.
 */
import type { Celery, SignatureDict, TaskContext, TaskOptions } from '@cq/app';
import { Chord } from './chord.js';
import { registerChordUnlock } from './chord-unlock.js';
import { Group } from './group.js';
import { signatureFromDict } from './from-dict.js';
import { Chunks } from './map.js';

/** Python's `NotImplementedError`, stored under that built-in name. */
class NotImplementedError extends Error {
  override readonly name = 'NotImplementedError';
}

/** The names {@link registerBuiltins} registers. */
export const BUILTIN_TASKS: readonly string[] = [
  'celery.chord_unlock', 'celery.backend_cleanup', 'celery.accumulate', 'celery.map', 'celery.starmap',
  'celery.chunks', 'celery.group', 'celery.chain', 'celery.chord',
];

/** Registers Celery's built-in tasks on `app` where the name is still free. Idempotent. */
export function registerBuiltins(app: Celery): void {
  const free = (name: string): boolean => !app.tasks.has(name);
  const add = (name: string, fn: (...args: never[]) => unknown, options: TaskOptions): void => {
    if (free(name)) app.task(name, fn as (ctx: TaskContext, ...args: never[]) => unknown, { ...options, bind: true });
  };
  if (free('celery.chord_unlock')) registerChordUnlock(app);

  add('celery.backend_cleanup', async () => {
    await (await app.backend())?.cleanup();
  }, { params: [] });

  add('celery.accumulate', (_ctx: TaskContext, ...rest: unknown[]) => {
    const kwargs = (rest.pop() ?? {}) as { index?: number | null };
    return typeof kwargs.index === 'number' ? rest[kwargs.index] : rest;
  }, { params: [], acceptsKwargs: true });

  // Celery: `signature(task, app=app).type` called on each item; the signature's own args are not used
  const runEach = async (ctx: TaskContext, task: SignatureDict | string, it: readonly unknown[], spread: boolean): Promise<unknown[]> => {
    const target = app.getTask(typeof task === 'string' ? task : signatureFromDict(task, app).task);
    const out: unknown[] = [];
    for (const item of it) out.push(await target.invoke(ctx, spread ? item as unknown[] : [item], {}));
    return out;
  };
  add('celery.map', (ctx: TaskContext, task: SignatureDict | string, it: unknown[]) => runEach(ctx, task, it, false), { params: ['task', 'it'] });
  add('celery.starmap', (ctx: TaskContext, task: SignatureDict | string, it: unknown[][]) => runEach(ctx, task, it, true), { params: ['task', 'it'] });

  // Celery `chunks.apply_chunks`: sends the group of starmaps; the GroupResult is stored as its tuple (Celery `prepare_value`)
  add('celery.chunks', async (_ctx: TaskContext, task: SignatureDict | string, it: unknown[][], n: number) =>
    (await new Chunks(task, it, n, app).applyAsync()).asTuple(), { params: ['task', 'it', 'n'] });

  add('celery.group', async (_ctx: TaskContext, tasks: SignatureDict[], result: unknown, groupId: string, partialArgs: unknown[] | null) => {
    for (const task of tasks) await signatureFromDict(task, app).clone(partialArgs ?? []).applyAsync([], { groupId });
    return result;
  }, { params: ['tasks', 'result', 'group_id', 'partial_args', 'add_to_parent'] });

  add('celery.chain', () => {
    throw new NotImplementedError('chain is not a real task');
  }, { params: [], acceptsKwargs: true });

  add('celery.chord', async (_ctx: TaskContext, header: SignatureDict[] | SignatureDict, body: SignatureDict, partialArgs: unknown[] | null) => {
    const members = Array.isArray(header) ? header : Group.fromDict(header, app).tasks;
    const result = await new Chord(members, body, app).applyAsync(partialArgs ?? []);
    return [[result.id, null], null];
  }, { params: ['header', 'body', 'partial_args', 'interval', 'countdown', 'max_retries', 'eager'], acceptsKwargs: true, ignoreResult: false });
}
