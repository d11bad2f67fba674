/**
 * A chain: tasks run one after the other, each receiving the previous result as its first argument
 * (Celery `celery.canvas._chain`, "Canvas" → Chains).
 *
 * Sent as Celery sends it: only the first task's message goes out, carrying the rest in
 * `embed.chain` **reversed** (the next task last), each element a signature dict with its task id
 * frozen up front. The worker pops the next element when a task succeeds (see `continuation.ts`), so
 * Python and cq workers continue each other's chains.
 *
 * ```ts
 * const r = await chain(signature(add, [1, 2]), signature(add, [3]), signature(mul, [4])).applyAsync();
 * await r.get({ timeout: 10 }); // ((1 + 2) + 3) * 4 = 24
 * ```
 */
import type { ApplyOptions, AsyncResult, SignatureDict } from '@cq/app';
import { CanvasUsageError, SignatureDictError, UnsupportedCanvasError } from './errors.js';
import { signatureList, toApplyOptions } from './options.js';
import { Signature, type AnySignature, type CanvasApp } from './signature.js';

export class Chain<R = unknown> extends Signature<unknown[], R> {
  /** The chained signatures, first to run first. */
  readonly tasks: AnySignature[];

  constructor(tasks: readonly (AnySignature | SignatureDict)[], app: CanvasApp | null = null) {
    const sigs = tasks.map((t) => (t instanceof Signature ? t : Signature.fromDict(t, app)));
    super('celery.chain', { subtaskType: 'chain', app: app ?? sigs.find((s) => s.app)?.app ?? null });
    this.tasks = sigs;
  }

  /** Reads `{"task": "celery.chain", "kwargs": {"tasks": [...]}, "subtask_type": "chain", ...}`. */
  static override fromDict(dict: SignatureDict, app: CanvasApp | null = null): Chain {
    const tasks = (dict.kwargs as { tasks?: unknown }).tasks;
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
   * Sends the first task with the rest of the chain embedded (Celery `_chain.run`). `args` go to the
   * first task (before its own); `options.taskId` becomes the last task's id; `link` is added to the
   * last task and `linkError` to every task; `groupId`/`groupIndex` (a chain inside a group) go to the
   * last task; other options apply to the first message. Resolves with the **last** task's result.
   * @throws UnsupportedCanvasError for a group followed by a task (a chord, not supported yet);
   *   CanvasUsageError for an empty chain.
   */
  override async applyAsync(args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const { taskId, link, linkError, groupId, groupIndex, kwargs, ...rest } = { ...toApplyOptions(this.options), ...options };
    const steps = this.flatten();
    if (steps.length === 0) throw new CanvasUsageError('cannot apply an empty chain');
    const partial = this.immutable ? this.args : [...args, ...this.args];
    const reversed: AnySignature[] = [];
    let lastResult: AsyncResult<R> | null = null;
    for (let i = steps.length - 1; i >= 0; i--) {
      const isFirst = i === 0;
      const isLast = i === steps.length - 1;
      const step = isFirst ? steps[i]!.clone(partial, kwargs ?? {}) : steps[i]!.clone();
      if (step.subtaskType === 'group' && !isLast) throw new UnsupportedCanvasError('a group followed by another task in a chain is a chord, which cq does not run yet');
      if (step.subtaskType === null) {
        const res = step.freeze(isLast ? { ...(taskId ? { id: taskId } : {}), groupId: groupId ?? null, groupIndex: groupIndex ?? null } : {});
        if (isLast) lastResult = res as AsyncResult<R>;
      }
      if (isLast && link) for (const cb of signatureList(link)!) step.link(cb);
      if (linkError) for (const eb of signatureList(linkError)!) step.linkError(eb);
      reversed.push(step);
    }
    const first = reversed.pop()!;
    const sent = await first.applyAsync([], { ...rest, chain: reversed.map((s) => s.toDict()) });
    return lastResult ?? sent as AsyncResult<R>;
  }

  override clone(args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}): this {
    const chain = Chain.fromDict(this.toDict(), this.app) as this;
    const merged = this.merge(args, kwargs);
    chain.args = merged.args;
    chain.kwargs = merged.kwargs;
    return chain;
  }

  /** Nested chains spliced in (Celery unrolls them in `prepare_steps`). */
  private flatten(): AnySignature[] {
    return this.tasks.flatMap((t) => (t instanceof Chain ? t.flatten() : [t]));
  }
}

Signature.registerType('chain', (dict, app) => Chain.fromDict(dict, app));

/** Tasks run one after another, each getting the previous result first (Celery `chain(...)`). */
export function chain<R = unknown>(...tasks: (AnySignature | SignatureDict)[]): Chain<R> {
  return new Chain<R>(tasks);
}
