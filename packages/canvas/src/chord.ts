/**
 * A chord: a header group whose results, once every member finished, are passed as one list to the
 * body (Celery `celery.canvas._chord`, "Canvas" → Chords).
 *
 * Sent as Celery 5.2 sends it: the body's task id is frozen first; the header size goes to the
 * result backend (`applyChord`: Redis stores `celery-taskset-meta-<group id>.s`); then each header
 * member goes out with the headers `group` = the chord's group id and `group_index`, and
 * `embed.chord` = the body's signature dict. The worker that finishes the last member applies the
 * body (see `chord-join.ts`), whether it is a Python or a cq worker. Backends that cannot join
 * chords themselves get a `celery.chord_unlock` task that polls the header (Celery
 * `fallback_chord_unlock`). A failed header member makes the body FAILURE with a ChordError and
 * applies the body's errbacks.
 *
 * ```ts
 * const res = await chord([signature(add, [1, 1]), signature(add, [2, 2])], signature(tsum)).applyAsync();
 * await res.get({ timeout: 10 }); // tsum([2, 4]) = 6
 * ```
 */
import { randomUUID } from 'node:crypto';
import { ImproperlyConfigured, type ApplyOptions, type AsyncResult, type SignatureDict, type Task } from '@cq/app';
import { CanvasUsageError, SignatureDictError, UnsupportedCanvasError } from './errors.js';
import { signatureFromDict } from './from-dict.js';
import { Group } from './group.js';
import { inTransaction, toApplyOptions, toSignatureOptions } from './options.js';
import { Chain, plainIfNotComposite } from './chain.js';
import type { ResultOf } from './types.js';
import { Signature, type AnySignature, type CanvasApp, type FreezeIds } from './signature.js';

/** Default `countdown` (s) of the first `celery.chord_unlock` (Celery `chord.run(countdown=1)`). */
export const CHORD_UNLOCK_COUNTDOWN = 1;

type SigLike = AnySignature | SignatureDict;

function toSig(value: SigLike, app: CanvasApp | null): AnySignature {
  return value instanceof Signature ? value : signatureFromDict(value, app);
}

export class Chord<R = unknown> extends Signature<unknown[], R> {
  /** The header's members, in order (their position is `group_index`). */
  readonly header: AnySignature[];
  /** The body, applied with the list of header results; null until given. */
  body: AnySignature | null;

  constructor(header: readonly SigLike[] | Group, body: SigLike | null = null, app: CanvasApp | null = null) {
    const members = header instanceof Group ? header.tasks : header.map((t) => toSig(t, app));
    const bodySig = body === null ? null : toSig(body, app);
    super('celery.chord', {
      subtaskType: 'chord', app: app ?? members.find((s) => s.app)?.app ?? bodySig?.app ?? null,
    });
    this.header = [...members];
    this.body = bodySig;
    // Celery takes the group id from the header group's `task_id` option.
    if (header instanceof Group && typeof header.options['task_id'] === 'string') this.options['group_id'] = header.options['task_id'];
  }

  /**
   * Reads `{"task": "celery.chord", "kwargs": {"kwargs": {}, "header": [...] | <group dict>,
   * "body": <dict> | null}, "subtask_type": "chord", ...}`.
   * @throws SignatureDictError when `kwargs.header` is neither a list nor a group dict.
   */
  static override fromDict(dict: SignatureDict, app: CanvasApp | null = null): Chord {
    const kw = (dict.kwargs ?? {}) as { header?: unknown; body?: unknown; kwargs?: Record<string, unknown> };
    const header = Array.isArray(kw.header) ? kw.header as SignatureDict[]
      : kw.header && typeof kw.header === 'object' ? Group.fromDict(kw.header as SignatureDict, app) : null;
    if (header === null) throw new SignatureDictError('chord signature without kwargs.header');
    const chord = new Chord(header, (kw.body ?? null) as SignatureDict | null, app);
    chord.args = [...(dict.args ?? [])];
    chord.kwargs = { ...(kw.kwargs ?? {}) };
    chord.options = { ...chord.options, ...structuredClone(dict.options ?? {}) };
    chord.immutable = dict.immutable === true;
    return chord;
  }

  /** Celery's dict: the header as a list of member dicts, the chord's own kwargs under `kwargs.kwargs`. */
  override toDict(): SignatureDict {
    return {
      ...super.toDict(),
      kwargs: { kwargs: structuredClone(this.kwargs), header: this.header.map((t) => t.toDict()), body: this.body?.toDict() ?? null },
    };
  }

  override clone(args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}): this {
    const chord = Chord.fromDict(this.toDict(), this.app) as this;
    const merged = this.merge(args, kwargs);
    chord.args = merged.args;
    chord.kwargs = merged.kwargs;
    return chord;
  }

  /** Links go to the body (Celery `chord.link`). Returns `callback`. */
  override link<S extends AnySignature | SignatureDict>(callback: S): S {
    return this.requireBody().link(callback);
  }

  /** Errbacks go to the body; they run when a header task fails (Celery `chord.link_error`). Returns `errback`. */
  override linkError<S extends AnySignature | SignatureDict>(errback: S): S {
    return this.requireBody().linkError(errback);
  }

  /**
   * Fixes the header's group id and freezes the **body** with `ids` (Celery `chord.freeze`): a chord
   * inside a chain, a group or another chord's header completes through its body. Ids the body has
   * already are kept. Returns the body's result.
   */
  override freeze(ids: FreezeIds = {}): AsyncResult<R> {
    if (typeof this.options['group_id'] !== 'string') this.options['group_id'] = randomUUID();
    return freezeBody(this.requireBody(), ids) as AsyncResult<R>;
  }

  /**
   * Starts the chord (Celery `chord.apply_async` → `chord.run`). `args` are prepended to every
   * mutable header member; `options.taskId` becomes the body's task id; every other option (queue,
   * link, linkError, and `chain`, `groupId`, `groupIndex`, `chord` when the chord is a step of a
   * chain or a member of a group or header) is set on the body and, except those, sent with the
   * header members. Header members may be tasks, groups (unrolled), chains (their last task counts)
   * and chords (their body counts); the chord size stored in the backend is counted as Celery's
   * `chord._descend` counts it. An empty header applies the body with `[]` at once. The body may be
   * a group: each of its members then gets the results list as first argument (Celery
   * `callback.delay(resl)` on a group). With `options.transaction`, the header members and
   * `celery.chord_unlock` go through the caller's transaction; the chord counter a backend such as
   * Redis sets up (`applyChord`) does not, and outlives a rollback until it expires. Resolves with
   * the **body's** result (a GroupResult for a group body).
   * @throws CanvasUsageError without a body; UnsupportedCanvasError for a header chain ending in a
   *   group; ImproperlyConfigured without a result backend.
   */
  override async applyAsync(args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const app = this.requireApp();
    const body = this.requireBody().clone();
    const given = toSignatureOptions(options);
    const merged: Record<string, unknown> = { ...this.options, ...given };
    const taskId = typeof merged['task_id'] === 'string' ? merged['task_id'] : null;
    const groupId = typeof this.options['group_id'] === 'string' ? this.options['group_id'] : randomUUID();
    // the chord's own group id names its header; a group id given here is the enclosing group's, for the body
    delete merged['task_id'];
    delete merged['group_id'];
    if (given['group_id'] !== undefined) merged['group_id'] = given['group_id'];
    for (const [key, value] of Object.entries(merged)) if (value !== undefined && value !== null) body.options[key] = value;
    if (taskId) body.options['task_id'] = taskId;
    // a group body is applied with the results list by whoever completes the header: it cannot carry a chain
    if (body instanceof Group && Array.isArray(body.options['chain']) && body.options['chain'].length === 0) delete body.options['chain'];
    const rootId = typeof body.options['root_id'] === 'string' ? body.options['root_id'] : null;
    const bodyResult = freezeBody(body, { rootId }) as AsyncResult<R>;

    const members = new Group(this.header, app).unroll().map(plainIfNotComposite);
    const bad = members.find((m) => m instanceof Chain && lastNonEmpty(m) instanceof Group);
    // Celery 5.2 runs this only on Redis, by saving the header GroupResult and joining it in the worker,
    // while the inner group overwrites the chord size with its own count (see README "Shapes")
    if (bad) throw new UnsupportedCanvasError('a chain ending in a group inside a chord header is not supported: end it with a task (e.g. group | tsum)');
    const tx = inTransaction(options); // every message of this call goes through the caller's transaction
    if (members.length === 0) {
      await body.applyAsync([[]], tx);
      return bodyResult;
    }
    const backend = app.backend ? await app.backend() : null;
    if (!backend) throw new ImproperlyConfigured('Starting chords requires a result backend to be configured: set `result_backend`');
    const bodyDict = body.toDict();
    const frozen = members.map((m, index) => {
      const sig = m.clone();
      return { sig, id: sig.freeze({ groupId, groupIndex: index, rootId, chord: bodyDict }).id };
    });
    const native = await backend.applyChord(groupId, chordSize(members), frozen.map((f) => f.id));
    if (!native) await sendChordUnlock(app, groupId, body, frozen.map((f) => f.id), tx);

    const headerOptions = { ...merged };
    for (const key of ['link', 'link_error', 'chain', 'chord', 'group_id', 'group_index']) delete headerOptions[key];
    const partial = this.immutable ? [...this.args] : [...args, ...this.args];
    await new Group(frozen.map((f) => f.sig), app).applyAsync(partial, {
      ...toApplyOptions(headerOptions), ...(rootId ? { rootId } : {}), ...tx, taskId: groupId, chord: bodyDict,
      ...(Object.keys(this.kwargs).length > 0 || options.kwargs ? { kwargs: { ...this.kwargs, ...options.kwargs } } : {}),
    });
    return bodyResult;
  }

  private requireBody(): AnySignature {
    if (!this.body) throw new CanvasUsageError('a chord needs a body: chord(header, body)');
    return this.body;
  }
}

/**
 * Sends `celery.chord_unlock(group_id, body, interval=None, max_retries=None, result=[tuples])` with
 * a countdown of 1 s, on the body's queue and priority when it has them (Celery `fallback_chord_unlock`).
 */
async function sendChordUnlock(app: CanvasApp, groupId: string, body: AnySignature, headerIds: readonly string[], tx: Pick<ApplyOptions, 'transaction'>): Promise<void> {
  const bodyTask = (app as { tasks?: ReadonlyMap<string, Task> }).tasks?.get(body.task);
  const queue = body.options['queue'] ?? bodyTask?.options.queue;
  const priority = body.options['priority'] ?? bodyTask?.options.priority;
  await app.sendTask('celery.chord_unlock', [groupId, body.toDict()], {
    kwargs: { interval: null, max_retries: null, result: headerIds.map((id) => [[id, null], null]) },
    countdown: CHORD_UNLOCK_COUNTDOWN,
    ...(typeof queue === 'string' ? { queue } : {}),
    ...(typeof priority === 'number' ? { priority } : {}),
    ...tx,
  });
}

/**
 * A header group whose results go, as one list, to `body` (Celery `chord(header, body)`). Typed:
 * the chord's result is the body's.
 */
export function chord<B extends SigLike | null = null>(header: readonly SigLike[] | Group, body?: B): Chord<B extends null ? unknown : ResultOf<B>> {
  return new Chord<B extends null ? unknown : ResultOf<B>>(header, body ?? null);
}

/**
 * Freezes a chord's body (Celery `body.freeze`): a group body gets its group id and member ids and
 * gives its GroupResult; any other body gives its (last) task's result.
 */
function freezeBody(body: AnySignature, ids: FreezeIds): unknown {
  return body instanceof Group ? body.freezeGroup(ids) : body.freeze(ids);
}

/** The last step of a chain that counts (Celery `_descend` walks a chain from its end). */
function lastNonEmpty(chain: Chain): AnySignature | null {
  for (let i = chain.tasks.length - 1; i >= 0; i--) {
    const step = chain.tasks[i]!;
    if (descend(step) > 0) return step;
  }
  return null;
}

/**
 * How many completions a header member contributes (Celery `chord._descend`): each task 1, a group
 * the sum of its members, a chain its last non-empty step, a chord its body.
 */
export function descend(sig: AnySignature): number {
  if (sig instanceof Group) return sig.tasks.reduce((n, t) => n + descend(t), 0);
  if (sig instanceof Chain) {
    const last = lastNonEmpty(sig);
    return last ? descend(last) : 0;
  }
  if (sig instanceof Chord) return sig.body ? descend(sig.body) : 0;
  return 1;
}

/** The chord size Celery stores for a header (`chord.__length_hint__`). */
export function chordSize(header: readonly AnySignature[]): number {
  return header.reduce((n, t) => n + descend(t), 0);
}
