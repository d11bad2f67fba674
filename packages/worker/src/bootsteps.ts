/**
 * Bootsteps (Celery `celery/bootsteps.py`): a worker is a *blueprint* of small services, each a
 * {@link Step} with the steps it `requires` named by class. The blueprint orders them so each starts
 * after its requirements (a topological sort; `last` steps after all others), starts them in that
 * order and stops them in reverse. A cycle in `requires` throws {@link BootstepCycleError}.
 *
 * ```ts
 * class Healthcheck extends Step<Worker> {
 *   static override requires = [ConsumerComponent];
 *   override start(w: Worker) { server.listen(8080); }
 *   override stop() { server.close(); }
 * }
 * app.steps.worker.add(Healthcheck);   // Celery: app.steps['worker'].add(Healthcheck)
 * ```
 *
 * Life of a step: constructed with the parent when the blueprint is applied (the worker's
 * constructor), `includeIf(parent)` decides whether it takes part (Celery `include_if`), `create(parent)`
 * sets it up, then `start`, `stop` (warm) or `terminate` (cold), and last `shutdown` (release
 * connections once every step has stopped). All but the constructor may be async.
 */
import { BootstepCycleError, BootstepError } from './errors.js';

/** A step class as `requires` and `app.steps` hold it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- default: a step of any parent (worker or consumer) is a StepClass
export type StepClass<P = any> = (new (parent: P) => Step<P>) & {
  /** Steps that must start before this one (and stop after it). */
  readonly requires: readonly StepClass[];
  /** Start after every other step of the blueprint (Celery `last = True`, the worker's Consumer). */
  readonly last: boolean;
  /** Display name; default: the class name. */
  readonly label?: string;
};

export abstract class Step<P = unknown> {
  static readonly requires: readonly StepClass[] = [];
  static readonly last: boolean = false;
  static readonly label?: string;
  /** Default result of {@link includeIf}. */
  enabled = true;

  // The parent is given to each method rather than kept, as in Celery.
  constructor(_parent: P) {}

  /** The step's display name (`label`, else the class name). */
  get name(): string {
    return stepName(this.constructor as StepClass);
  }

  /** Whether this step takes part for this parent (Celery `include_if`). Default: `enabled`. */
  includeIf(_parent: P): boolean {
    return this.enabled;
  }

  /** Runs once when included, before any step starts: create what the parent exposes (Celery `create`). */
  create(_parent: P): unknown {
    return undefined;
  }

  /** Called by the blueprint; decides inclusion and creates. Returns whether the step is included. */
  include(parent: P): boolean {
    if (!this.includeIf(parent)) return false;
    this.create(parent);
    return true;
  }

  start(_parent: P): void | Promise<void> {}
  /** Warm stop. */
  stop(_parent: P): void | Promise<void> {}
  /** Cold stop; default: {@link stop}. */
  terminate(parent: P): void | Promise<void> {
    return this.stop(parent);
  }
  /** After every step stopped, in reverse order: close what must outlive the other steps' stop. */
  shutdown(_parent: P): void | Promise<void> {}

  /** What the banner and `inspect stats` show for this step; null for nothing. */
  info(_parent: P): Record<string, unknown> | null {
    return null;
  }
}

/** A service with its own start/stop, as `StartStopStep.create` returns it. */
export interface Service {
  start(): unknown;
  stop(): unknown;
  terminate?(): unknown;
  shutdown?(): unknown;
}

/**
 * A step that creates one service object and forwards start/stop/terminate/shutdown to it (Celery
 * `StartStopStep`). `create` returns the object (or null to run nothing); it is kept in `obj`.
 */
export abstract class StartStopStep<P = unknown, O extends Service = Service> extends Step<P> {
  obj: O | null = null;

  abstract override create(parent: P): O | null;

  override include(parent: P): boolean {
    if (!this.includeIf(parent)) return false;
    this.obj = this.create(parent);
    return true;
  }

  override async start(): Promise<void> {
    await this.obj?.start();
  }

  override async stop(): Promise<void> {
    await this.obj?.stop();
  }

  override async terminate(): Promise<void> {
    if (this.obj?.terminate) await this.obj.terminate();
    else await this.obj?.stop();
  }

  override async shutdown(): Promise<void> {
    await this.obj?.shutdown?.();
  }
}

export type BlueprintState = 'init' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Blueprint<P> {
  state: BlueprintState = 'init';
  /** Every step, in start order (excluded ones too). */
  readonly order: Array<Step<P>> = [];
  /** The included steps, in start order. */
  readonly steps: Array<Step<P>> = [];
  private started: Array<Step<P>> = [];
  private readonly classes: StepClass[];

  /**
   * @param name the blueprint's name (`Worker`, `Consumer`), used in errors.
   * @param defaults the built-in steps.
   * @param extra steps added by users (`app.steps.worker`); each must be a `Step` subclass.
   * @throws BootstepError for a value that is not a Step class; BootstepCycleError for a cycle.
   */
  constructor(readonly name: string, defaults: Iterable<StepClass>, extra: Iterable<unknown> = []) {
    const given = [...defaults, ...extra];
    for (const cls of given) {
      if (!isStepClass(cls)) throw new BootstepError(`blueprint ${name}: ${describe(cls)} is not a Step class (extend Step or StartStopStep from @cq/worker)`);
    }
    this.classes = orderSteps(name, given as StepClass[]);
  }

  /** Step classes in start order, required ones included. */
  get stepClasses(): readonly StepClass[] {
    return this.classes;
  }

  /** Instantiates the steps for `parent`, then lets each decide inclusion and create (Celery `apply`). */
  apply(parent: P): this {
    if (this.order.length > 0) throw new BootstepError(`blueprint ${this.name} was already applied`);
    for (const cls of this.classes) this.order.push(new cls(parent) as Step<P>);
    for (const step of this.order) if (step.include(parent)) this.steps.push(step);
    return this;
  }

  /** The included step of a class, if any. */
  find<T extends Step<P>>(cls: abstract new (parent: P) => T): T | undefined {
    return this.steps.find((s): s is T => s instanceof cls);
  }

  /** Starts the included steps in order. If one fails, the started ones are terminated in reverse and the error rethrown. */
  async start(parent: P): Promise<void> {
    this.state = 'starting';
    for (const step of this.steps) {
      try {
        await step.start(parent);
      } catch (err) {
        this.started.push(step);
        await this.stop(parent, { terminate: true }).catch(() => undefined);
        await this.shutdown(parent).catch(() => undefined);
        throw err;
      }
      this.started.push(step);
    }
    this.state = 'running';
  }

  /**
   * Stops the started steps in reverse order: `stop` (warm) or `terminate` (cold). Every step is
   * stopped even if one throws; the first error is rethrown at the end.
   */
  async stop(parent: P, options: { terminate?: boolean } = {}): Promise<void> {
    this.state = 'stopping';
    await this.each([...this.started].reverse(), (step) => (options.terminate ? step.terminate(parent) : step.stop(parent)));
  }

  /** Calls `shutdown` on the started steps in reverse order, after {@link stop}. */
  async shutdown(parent: P): Promise<void> {
    const steps = [...this.started].reverse();
    this.started = [];
    await this.each(steps, (step) => step.shutdown(parent));
    this.state = 'stopped';
  }

  /** Each included step's `info()`, by step name (Celery `Blueprint.info`). */
  info(parent: P): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const step of this.steps) out[step.name] = step.info(parent) ?? {};
    return out;
  }

  private async each(steps: Array<Step<P>>, fn: (step: Step<P>) => void | Promise<void>): Promise<void> {
    let first: { error: unknown } | null = null;
    for (const step of steps) {
      try {
        await fn(step);
      } catch (error) {
        first ??= { error };
      }
    }
    if (first) throw first.error;
  }
}

/**
 * Orders step classes so each comes after its `requires` (added when missing, as Celery does),
 * keeping the given order among independent steps; `last` steps come after all others.
 * @throws BootstepCycleError naming the cycle.
 */
export function orderSteps(blueprint: string, classes: Iterable<StepClass>): StepClass[] {
  const all: StepClass[] = [];
  const visit = (cls: StepClass) => {
    if (all.includes(cls)) return;
    if (!isStepClass(cls)) throw new BootstepError(`blueprint ${blueprint}: a requirement, ${describe(cls)}, is not a Step class`);
    all.push(cls);
    for (const req of cls.requires) visit(req);
  };
  for (const cls of classes) visit(cls);
  const placed: StepClass[] = [];
  const ready = (cls: StepClass) => !placed.includes(cls) && cls.requires.every((r) => placed.includes(r));
  while (placed.length < all.length) {
    const next = all.find((c) => !c.last && ready(c)) ?? all.find((c) => c.last && ready(c));
    if (!next) throw new BootstepCycleError(blueprint, findCycle(all.filter((c) => !placed.includes(c))).map(stepName));
    placed.push(next);
  }
  return placed;
}

function findCycle(remaining: StepClass[]): StepClass[] {
  // Every remaining step waits on another remaining one, so walking requirements must loop.
  const path: StepClass[] = [];
  let cur = remaining[0]!;
  while (!path.includes(cur)) {
    path.push(cur);
    cur = cur.requires.find((r) => remaining.includes(r))!;
  }
  return [...path.slice(path.indexOf(cur)), cur];
}

export function stepName(cls: StepClass): string {
  return Object.hasOwn(cls, 'label') && cls.label ? cls.label : cls.name;
}

function isStepClass(value: unknown): value is StepClass {
  return typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Step;
}

function describe(value: unknown): string {
  return typeof value === 'function' ? `class ${value.name || '<anonymous>'}` : JSON.stringify(value) ?? String(value);
}
