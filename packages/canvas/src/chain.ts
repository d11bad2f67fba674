/**
 * A chain: tasks run one after the other, each receiving the previous result as its first argument
 * (Celery `celery.canvas._chain`, "Canvas" → Chains).
 *
 * Sent as Celery sends it: only the first task's message goes out, carrying the rest in
 * `embed.chain` **reversed** (the next task last), each element a signature dict with its task id
 * frozen up front. The worker pops the next element when a task succeeds (see `continuation.ts`), so
 * Python and cq workers continue each other's chains.
 *
 * As in Celery's `prepare_steps`, nested chains are spliced in, a one-member group is its member, and
 * a group followed by another step becomes a **chord** of that group and the step (`group | s` →
 * `chord(group, s)`), wherever it stands: the chord's body then carries the rest of the chain. The
 * step may be a group too (`group | group` → a chord whose body is the second group: each of its
 * members gets the first group's results list as first argument) or a chord (its header members get it).
 *
 * ```ts
 * const r = await chain(signature(add, [1, 2]), signature(add, [3]), signature(mul, [4])).applyAsync();
 * await r.get({ timeout: 10 }); // ((1 + 2) + 3) * 4 = 24
 * ```
 */
import type { ApplyOptions, AsyncResult, SignatureDict } from '@cq/app';
import { Chord } from './chord.js';
import { CanvasUsageError, SignatureDictError } from './errors.js';
import { signatureFromDict } from './from-dict.js';
import { Group } from './group.js';
import { signatureList, toApplyOptions } from './options.js';
import { Signature, type AnySignature, type CanvasApp } from './signature.js';
import type { CheckChain, LastOf, ResultOf, SigOrDict } from './types.js';
import type { FreezeIds } from './signature.js';

/** The ids the last step of a chain is frozen with (Celery `prepare_steps(last_task_id, group_id, chord_body, group_index)`). */
interface LastStepIds {
  taskId?: string | undefined;
  groupId?: string | null | undefined;
  groupIndex?: number | null | undefined;
  chord?: SignatureDict | null | undefined;
}

export class Chain<R = unknown> extends Signature<unknown[], R> {
  /** The chained signatures, first to run first. */
  readonly tasks: AnySignature[];

  constructor(tasks: readonly (AnySignature | SignatureDict)[], app: CanvasApp | null = null) {
    const sigs = tasks.map((t) => (t instanceof Signature ? t : signatureFromDict(t, app)));
    super('celery.chain', { subtaskType: 'chain', app: app ?? sigs.find((s) => s.app)?.app ?? null });
    this.tasks = sigs;
  }

  /** Reads `{"task": "celery.chain", "kwargs": {"tasks": [...]}, "subtask_type": "chain", ...}`. */
  static override fromDict(dict: SignatureDict, app: CanvasApp | null = null): Chain {
    const tasks = ((dict.kwargs ?? {}) as { tasks?: unknown }).tasks;
    if (!Array.isArray(tasks)) throw new SignatureDictError('chain signature without kwargs.tasks');
    const chain = new Chain(tasks as SignatureDict[], app);
    chain.args = [...(dict.args ?? [])];
    chain.options = structuredClone(dict.options ?? {});
    chain.immutable = dict.immutable === true;
    return chain;
  }

  override toDict(): SignatureDict {
    return { ...super.toDict(), kwargs: { ...structuredClone(this.kwargs), tasks: this.tasks.map((t) => t.toDict()) } };
  }

  /**
   * Sends the first step with the rest of the chain embedded (Celery `_chain.run`). `args` go to the
   * first step (before its own); `options.taskId` becomes the last step's id; `groupId`/`groupIndex`/
   * `chord` (a chain inside a group or a chord header) go to the last step; `link` is added to the
   * last step and `linkError` to every step; other options apply to the first message. A group
   * followed by a step is sent as a chord (see the module comment). Resolves with the **last**
   * step's result (the body's for a chord, a GroupResult for a final group or a chord whose body is a group).
   * @throws CanvasUsageError for an empty chain.
   */
  override async applyAsync(args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const { taskId, link, linkError, groupId, groupIndex, chord, kwargs, chain: outer, ...rest } = { ...toApplyOptions(this.options), ...options };
    const partial = this.immutable ? this.args : [...args, ...this.args];
    const { steps, results } = this.prepareSteps(partial, kwargs ?? {}, { taskId, groupId, groupIndex, chord }, rest.rootId ?? null);
    if (steps.length === 0) throw new CanvasUsageError('cannot apply an empty chain');
    if (link) for (const cb of signatureList(link)!) steps[0]!.link(cb);
    if (linkError) for (const step of steps) for (const eb of signatureList(linkError)!) step.linkError(eb);
    const first = steps.pop()!;
    // the rest of an enclosing chain (this chain is a chord's body) runs after this one's steps
    const sent = await first.applyAsync([], { ...rest, chain: [...(outer ?? []), ...steps.map((s) => s.toDict())] });
    // Celery prepare_steps: each step's result has the previous step's as `parent` (results are last first).
    for (let i = 0; i + 1 < results.length; i++) {
      const node = results[i] as { parent?: unknown } | undefined;
      if (node && 'parent' in node && node.parent == null) node.parent = results[i + 1];
    }
    return (steps.length === 0 && !outer?.length ? sent : results[0]) as AsyncResult<R>;
  }

  /**
   * Celery `_chain.prepare_steps`: the steps cloned and frozen, **last first**, with their results.
   * The first step gets `partial`/`kwargs`; the last step gets `last`'s ids.
   */
  private prepareSteps(partial: readonly unknown[], kwargs: Record<string, unknown>, last: LastStepIds, rootId: string | null): { steps: AnySignature[]; results: unknown[] } {
    const queue: AnySignature[] = [...this.tasks];
    const steps: AnySignature[] = [];
    const results: unknown[] = [];
    let prev: AnySignature | null = null;
    while (queue.length > 0) {
      let step = queue.pop()!;
      const isFirst = queue.length === 0;
      const isLast = prev === null;
      if (step instanceof Group && step.tasks.length === 1) step = step.tasks[0]!;
      step = isFirst ? step.clone(partial, kwargs) : step.clone();
      if (step instanceof Chain) {
        // splice the nested chain in; its own partial args go to its first step (Celery `from_dict`, #1057)
        const inner = step.tasks.map((t) => t.clone());
        if (inner.length > 0 && step.args.length > 0) inner[0] = inner[0]!.clone(step.args);
        queue.push(...inner);
        continue;
      }
      step = plainIfNotComposite(step);
      if (step instanceof Group && prev) {
        // prev may itself be a group or a chord: the chord's body is then that group (each member gets
        // the header's results list first) or that chord (its header members get it)
        steps.pop();
        results.pop();
        const upgraded = new Chord(step, prev, this.app);
        if (rootId) upgraded.options['root_id'] = rootId;
        step = upgraded;
      }
      // an upgraded chord's body was frozen as the last step already: freezing the chord keeps its ids
      const result = isLast
        ? freezeStep(step, { id: last.taskId, groupId: last.groupId ?? null, groupIndex: last.groupIndex ?? null, chord: last.chord ?? null, rootId })
        : freezeStep(step, { rootId });
      steps.push(step);
      results.push(result);
      prev = step;
    }
    return { steps, results };
  }

  override clone(args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}): this {
    const chain = Chain.fromDict(this.toDict(), this.app) as this;
    const merged = this.merge(args, kwargs);
    chain.args = merged.args;
    chain.kwargs = merged.kwargs;
    return chain;
  }
}

/** A signature whose dict has no `subtask_type` (xmap, xstarmap, chunks) travels as the plain task it names, as Python reads it. */
export function plainIfNotComposite(sig: AnySignature): AnySignature {
  return sig.subtaskType === null && sig.constructor !== Signature ? Signature.fromDict(sig.toDict(), sig.app) : sig;
}

/** Freezes a step of any kind (Celery `freeze`): a group's members, a chord's body, or the signature itself. */
export function freezeStep(sig: AnySignature, ids: FreezeIds): unknown {
  if (sig instanceof Group) return sig.freezeGroup(ids);
  return sig.freeze(ids);
}

/**
 * Steps run one after another, each getting the previous result as its first argument (Celery
 * `chain(...)`). Typed: each step's first parameter must accept the previous step's result (unless
 * the step is {@link immutable}), and the chain's result is the last step's.
 */
export function chain<const T extends readonly SigOrDict[]>(...tasks: T & CheckChain<T>): Chain<ResultOf<LastOf<T>>> {
  return new Chain<ResultOf<LastOf<T>>>(tasks as readonly SigOrDict[]);
}
