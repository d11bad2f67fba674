/**
 * `task_annotations` (Celery `celery/app/annotations.py`, "Configuration" → task_annotations): task
 * options and handlers set from the configuration, laid over what `app.task()` was given when the
 * task is registered (in every process that registers it: the client, the worker, pool children).
 *
 * ```ts
 * new Celery('proj', { task_annotations: {
 *   'tasks.add': { rateLimit: '10/s' },                 // one task, by exact name
 *   'tasks.*': { onFailure: (exc, taskId) => alert(taskId, exc) },   // cq: a glob (fnmatch)
 *   '*': { acksLate: true },                             // every task
 * } });
 * ```
 * The setting is a map, an object with `annotate(task)` (and optionally `annotateAny()`), a function
 * `(task) => annotation` (cq's short form of that object), or a list of them. As Celery's
 * `resolve_all`: the first entry of the list that answers for the task's name wins, then the first
 * that has a `'*'` answer is applied **after** it (so `'*'` overrides a per-name value, as in Celery).
 * Within a map an exact name wins over a glob; globs (`*`, `?`, `[seq]`) are cq's addition: Celery
 * matches exact names only, so a glob key never matched there and means the same to configs written
 * for Celery. Keys are TaskOptions names (`rateLimit`, `timeLimit`, `acksLate`, ...), handler names
 * (`beforeStart`, `onSuccess`, `onFailure`, `onRetry`, `afterReturn`, called with the task as
 * `this`), or `@<method>` whose value wraps the existing method: `(original) => replacement`
 * (Celery's `add_around`). `bind`, `params`, `acceptsKwargs` and `base` shape the registration and
 * are not annotatable.
 */
import { ImproperlyConfigured } from './errors.js';
import { globMatch } from './routes.js';
import { TASK_HOOKS, type Task, type TaskHookName, type TaskOptions } from './task.js';

/** A method wrapper of an `@<method>` key: receives the current method (bound to the task), returns the new one. */
export type AroundAnnotation = (original: (...args: never[]) => unknown) => (...args: never[]) => unknown;

/** The attributes one annotation sets: task options, handlers, and `@<method>` wrappers. */
export type TaskAnnotation = Omit<TaskOptions, 'bind' | 'params' | 'acceptsKwargs' | 'base'>
  & { [K in TaskHookName]?: Task[K] }
  & { [around: `@${string}`]: AroundAnnotation };

/** Celery's annotation object: `annotate(task)` answers for one task, `annotateAny()` for every task. */
export interface AnnotationObject {
  annotate(task: Task): TaskAnnotation | null | undefined;
  annotateAny?(): TaskAnnotation | null | undefined;
}

/** One entry of `task_annotations`: a name/glob/`'*'` map, an annotation object, or a function of the task. */
export type AnnotationEntry = Record<string, TaskAnnotation> | AnnotationObject | ((task: Task) => TaskAnnotation | null | undefined);

/** The `task_annotations` setting: one entry or a list. */
export type TaskAnnotations = AnnotationEntry | readonly AnnotationEntry[];

const HAS_GLOB = /[*?[]/;

function isObjectEntry(entry: AnnotationEntry): entry is AnnotationObject {
  return typeof (entry as AnnotationObject).annotate === 'function';
}

/** The entry's answer for `task` by name (Celery `MapAnnotation.annotate`, with globs). */
function annotate(entry: AnnotationEntry, task: Task): TaskAnnotation | null {
  if (typeof entry === 'function') return entry(task) ?? null;
  if (isObjectEntry(entry)) return entry.annotate(task) ?? null;
  const map = entry;
  if (Object.hasOwn(map, task.name) && task.name !== '*') return map[task.name] ?? null;
  for (const [pattern, value] of Object.entries(map)) {
    if (pattern !== '*' && HAS_GLOB.test(pattern) && globMatch(pattern, task.name)) return value;
  }
  return null;
}

/** The entry's answer for every task (Celery `annotate_any`: the `'*'` key). */
function annotateAny(entry: AnnotationEntry): TaskAnnotation | null {
  if (typeof entry === 'function') return null;
  if (isObjectEntry(entry)) return entry.annotateAny?.() ?? null;
  return entry['*'] ?? null;
}

/**
 * The annotations that apply to `task`, in the order they are applied (Celery `resolve_all`): the
 * first by-name answer of the list, then the first `'*'` answer.
 * @throws ImproperlyConfigured for an entry that is a string (Celery's import path form has no TS counterpart).
 */
export function resolveAnnotations(setting: TaskAnnotations | null | undefined, task: Task): TaskAnnotation[] {
  if (setting === null || setting === undefined) return [];
  const entries: readonly AnnotationEntry[] = Array.isArray(setting) ? setting as readonly AnnotationEntry[] : [setting as AnnotationEntry];
  for (const entry of entries) {
    if (typeof entry === 'string' || entry === null || typeof entry !== 'object' && typeof entry !== 'function') {
      throw new ImproperlyConfigured(`task_annotations: ${JSON.stringify(entry)} is not a map, an object with annotate(task) or a function; import the annotation object and give it`);
    }
  }
  const out: TaskAnnotation[] = [];
  for (const entry of entries) {
    const found = annotate(entry, task);
    if (found) { out.push(found); break; }
  }
  for (const entry of entries) {
    const found = annotateAny(entry);
    if (found) { out.push(found); break; }
  }
  return out;
}

/**
 * Applies `task_annotations` to a task being registered (Celery `Task.annotate`): options go into
 * `task.options`, handlers onto the task, `@<method>` wrappers around the current method.
 * @throws ImproperlyConfigured when a handler or wrapper is not a function.
 */
export function annotateTask(task: Task, setting: TaskAnnotations | null | undefined): void {
  const target = task as unknown as Record<string, unknown>;
  const options = task.options as Record<string, unknown>;
  for (const annotation of resolveAnnotations(setting, task)) {
    for (const [key, value] of Object.entries(annotation)) {
      if (key.startsWith('@')) {
        const method = key.slice(1);
        const original = target[method];
        if (typeof value !== 'function' || typeof original !== 'function') {
          throw new ImproperlyConfigured(`task_annotations for ${task.name}: '${key}' needs a function wrapping the method ${method}()`);
        }
        target[method] = (value as AroundAnnotation)((original as (...a: never[]) => unknown).bind(task));
      } else if ((TASK_HOOKS as readonly string[]).includes(key)) {
        if (typeof value !== 'function') throw new ImproperlyConfigured(`task_annotations for ${task.name}: '${key}' must be a function`);
        target[key] = value;
      } else {
        options[key] = value;
      }
    }
  }
}
