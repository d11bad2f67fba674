/**
 * Argument schemas: Celery 5.5's `pydantic=True`, with any Standard Schema validator (zod, valibot,
 * arktype, ...). See the README's "Argument schemas".
 *
 * Celery binds a call's args and kwargs to the function's parameters, validates each parameter
 * annotated with a pydantic model (`Model.model_validate(value)`), calls the function with the
 * models, and dumps a returned model with `model_dump(mode='json')`. Here:
 *
 * - `schema` gives the parameters' schemas in order, `[User, z.number()]` (`null`: not validated,
 *   as a parameter without a model annotation); one schema alone is the first parameter's. After
 *   kwargs are bound by name, parameter `i` is validated by schema `i` and the function receives
 *   the schema's output (transforms and defaults applied). A missing argument is validated as
 *   `undefined`, so a schema default fills it.
 * - `resultSchema` validates the return value; its output is what is stored (Celery's dump).
 * - Validators may be async (a Standard Schema may return a promise); with sync validators the
 *   call stays synchronous.
 * - All parameters are validated before failing, and every issue is reported at once: a
 *   {@link TaskValidationError} whose issue paths start at the parameter's name (`user.email`) or at
 *   `return`.
 *
 * Validation runs where the function runs (worker, pool child, `apply()`, eager `applyAsync`);
 * with `validateOnApply` also in `applyAsync` before anything is sent. The wire keeps the caller's
 * plain JSON: the schema's output never travels.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ImproperlyConfigured, TaskValidationError, type ValidationIssue } from './errors.js';

/** Any Standard Schema (https://standardschema.dev): what zod, valibot, arktype, effect/Schema... give. */
export type StandardSchema<Input = unknown, Output = Input> = StandardSchemaV1<Input, Output>;

/** The `schema` option: one schema (the first parameter's) or one per parameter, `null` = not validated. */
export type ArgumentSchemas = StandardSchemaV1 | readonly (StandardSchemaV1 | null)[];

/** The schema options of a task (part of `TaskOptions`). */
export interface SchemaTaskOptions {
  /**
   * Schemas of the parameters, in order (Celery 5.5 `pydantic=True` validates each parameter
   * annotated with a model). The function receives their outputs; a failure throws
   * {@link TaskValidationError} before the function runs, and the task fails (no retry unless
   * `autoretryFor` matches it). Default none.
   */
  schema?: ArgumentSchemas;
  /** Validates the return value; its output is stored (Celery's `model_dump(mode='json')` of a returned model). Default none. */
  resultSchema?: StandardSchemaV1;
  /**
   * cq, beyond Celery: validate in `applyAsync`/`delay` too, before anything is sent, rejecting with
   * {@link TaskValidationError}. The caller's arguments are sent, not the schema's output. Default false.
   */
  validateOnApply?: boolean;
}

/** What validation needs from a task. */
export interface SchemaTarget {
  readonly name: string;
  readonly paramNames: readonly string[];
  readonly options: SchemaTaskOptions;
}

type AsList<S> = S extends readonly unknown[] ? S : readonly [S];
/** The input type of a schema entry (`null`: unknown). */
export type SchemaInput<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : unknown;
/** The output type of a schema entry (`null`: unknown). */
export type SchemaOutput<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown;
type Inputs<L extends readonly unknown[]> = { -readonly [K in keyof L]: SchemaInput<L[K]> };
type Outputs<L extends readonly unknown[]> = { -readonly [K in keyof L]: SchemaOutput<L[K]> };
/** Trailing elements that accept `undefined` become optional (a schema default, a `null` entry). */
type OptionalTail<T extends unknown[]> = T extends [...infer Head, infer Last] ? (undefined extends Last ? [...OptionalTail<Head>, Last?] : T) : T;
/** The task's arguments (`delay(...)`): the schemas' inputs, trailing ones that accept `undefined` optional. */
export type SchemaArgs<S extends ArgumentSchemas> = OptionalTail<Extract<Inputs<AsList<S>>, unknown[]>>;
/** The function's parameters: the schemas' outputs. */
export type SchemaParams<S extends ArgumentSchemas> = Extract<Outputs<AsList<S>>, unknown[]>;
/** What the function may return: the result schema's input (or a promise of it), else anything. */
export type SchemaReturn<RS, R> = [RS] extends [StandardSchemaV1] ? SchemaInput<RS> | PromiseLike<SchemaInput<RS>> : R;
/** What the task's result holds: the result schema's output, else the function's awaited return. */
export type SchemaResult<RS, R> = [RS] extends [StandardSchemaV1] ? SchemaOutput<RS> : Awaited<R>;

/** True for a Standard Schema (an object or, as arktype's, a function with `~standard`). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && '~standard' in value;
}

/**
 * Checks the schema options of a task being created (Task's constructor).
 * @throws ImproperlyConfigured naming the task when `schema` is neither a Standard Schema nor a list
 *   of them (and nulls), or `resultSchema` is not one.
 */
export function checkSchemaOptions(name: string, options: SchemaTaskOptions): void {
  const { schema, resultSchema } = options;
  const hint = 'a Standard Schema (zod >= 3.24, valibot >= 1, arktype >= 2, ...)';
  if (schema !== undefined && !isStandardSchema(schema) && !(Array.isArray(schema) && schema.every((s) => s === null || isStandardSchema(s)))) {
    throw new ImproperlyConfigured(`task ${name}: schema must be ${hint}, or a list of them with null for a parameter left unchecked`);
  }
  if (resultSchema !== undefined && !isStandardSchema(resultSchema)) throw new ImproperlyConfigured(`task ${name}: resultSchema must be ${hint}`);
}

/** True when the task has a schema or a result schema. */
export function hasSchemas(options: SchemaTaskOptions): boolean {
  return options.schema !== undefined || options.resultSchema !== undefined;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * Validates bound arguments (`task.bindArguments()`) against `task.options.schema`; returns the
 * arguments with each validated one replaced by its schema's output (a promise when a validator is
 * async). Without a schema, returns `bound` as it is.
 * @throws TaskValidationError listing every issue of every parameter (or rejects with it).
 */
export function validateArguments(task: SchemaTarget, bound: readonly unknown[]): MaybePromise<unknown[]> {
  const { schema } = task.options;
  if (schema === undefined) return [...bound];
  const schemas = isStandardSchema(schema) ? [schema] : schema;
  const out = [...bound];
  while (out.length < schemas.length) out.push(undefined);
  const issues: ValidationIssue[][] = [];
  const pending: Promise<void>[] = [];
  schemas.forEach((s, i) => {
    if (!s) return;
    const label = task.paramNames[i] ?? (i === task.paramNames.length ? 'kwargs' : `args[${i}]`);
    const take = (result: StandardSchemaV1.Result<unknown>): void => {
      if (result.issues) issues[i] = result.issues.map((issue) => toIssue(label, issue));
      else out[i] = result.value;
    };
    const result = s['~standard'].validate(out[i]);
    if (isThenable(result)) pending.push(Promise.resolve(result).then(take));
    else take(result);
  });
  const finish = (): unknown[] => {
    const all = issues.flat();
    if (all.length > 0) throw new TaskValidationError(task.name, all);
    return out;
  };
  return pending.length === 0 ? finish() : Promise.all(pending).then(finish);
}

/**
 * Validates a return value against `task.options.resultSchema`; returns the schema's output (a
 * promise when the validator is async), or `value` without a result schema.
 * @throws TaskValidationError with paths starting at `return`.
 */
export function validateResult(task: SchemaTarget, value: unknown): unknown {
  const schema = task.options.resultSchema;
  if (schema === undefined) return value;
  const take = (result: StandardSchemaV1.Result<unknown>): unknown => {
    if (result.issues) throw new TaskValidationError(task.name, result.issues.map((issue) => toIssue('return', issue)));
    return result.value;
  };
  const result = schema['~standard'].validate(value);
  return isThenable(result) ? Promise.resolve(result).then(take) : take(result);
}

/**
 * Runs `call` with validated arguments and validates what it returns (awaiting it first when it is
 * a promise): what `Task.invoke` does for a task with schemas.
 */
export function callWithSchemas(task: SchemaTarget, bound: readonly unknown[], call: (args: unknown[]) => unknown): unknown {
  const run = (args: unknown[]): unknown => {
    const returned = call(args);
    if (task.options.resultSchema === undefined) return returned;
    return isThenable(returned) ? Promise.resolve(returned).then((v) => validateResult(task, v)) : validateResult(task, returned);
  };
  const args = validateArguments(task, bound);
  return isThenable(args) ? Promise.resolve(args).then(run) : run(args);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function toIssue(root: string, issue: StandardSchemaV1.Issue): ValidationIssue {
  // Array.from, not path.map: arktype's path is an Array subclass whose species constructor turns map's length into an element.
  const path = Array.from(issue.path ?? [], (segment) => {
    const key = typeof segment === 'object' ? segment.key : segment;
    return typeof key === 'number' ? key : String(key);
  });
  return { path: [root, ...path], message: issue.message };
}
