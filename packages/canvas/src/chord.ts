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
import { Group } from './group.js';
import { toApplyOptions, toSignatureOptions } from './options.js';
import { Signature, type AnySignature, type CanvasApp } from './signature.js';

/** Default `countdown` (s) of the first `celery.chord_unlock` (Celery `chord.run(countdown=1)`). */
export const CHORD_UNLOCK_COUNTDOWN = 1;

type SigLike = AnySignature | SignatureDict;

function toSig(value: SigLike, app: CanvasApp | null): AnySignature {
  return value instanceof Signature ? value : Signature.fromDict(value, app);
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
   * Starts the chord (Celery `chord.apply_async` → `chord.run`). `args` are prepended to every
   * mutable header member; `options.taskId` becomes the body's task id; every other option (queue,
   * link, linkError...) is set on the body and, except link/linkError, sent with the header members.
   * An empty header applies the body with `[]` at once. Resolves with the **body's** result.
   * @throws CanvasUsageError without a body; UnsupportedCanvasError for a header member that is
   *   not a plain task (a chain or chord in the header); ImproperlyConfigured without a result backend.
   */
  override async applyAsync(args: readonly unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const app = this.requireApp();
    const body = this.requireBody().clone();
    const given = toSignatureOptions(options);
    const merged: Record<string, unknown> = { ...this.options, ...given };
    const taskId = typeof merged['task_id'] === 'string' ? merged['task_id'] : null;
    const groupId = typeof this.options['group_id'] === 'string' ? this.options['group_id'] : randomUUID();
    for (const key of ['task_id', 'group_id', 'group_index', 'chain', 'chord']) delete merged[key];
    Object.assign(body.options, merged);
    if (taskId) body.options['task_id'] = taskId;
    const rootId = typeof body.options['root_id'] === 'string' ? body.options['root_id'] : null;
    const bodyResult = body.freeze({ rootId }) as AsyncResult<R>;

    const members = new Group(this.header, app).tasks.flatMap((t) => (t instanceof Group ? t.tasks : [t]));
    const complex = members.find((m) => m.subtaskType !== null);
    if (complex) throw new UnsupportedCanvasError(`a ${complex.subtaskType} in a chord header is not supported yet: use plain task signatures`);
    if (members.length === 0) {
      await body.applyAsync([[]]);
      return bodyResult;
    }
    const backend = app.backend ? await app.backend() : null;
    if (!backend) throw new ImproperlyConfigured('Starting chords requires a result backend to be configured: set `result_backend`');
    const frozen = members.map((m, index) => {
      const sig = m.clone();
      return { sig, id: sig.freeze({ groupId, groupIndex: index, rootId }).id };
    });
    const native = await backend.applyChord(groupId, members.length);
    if (!native) await sendChordUnlock(app, groupId, body, frozen.map((f) => f.id));

    const { link: _l, link_error: _le, ...headerOptions } = merged;
    const partial = this.immutable ? [...this.args] : [...args, ...this.args];
    await new Group(frozen.map((f) => f.sig), app).applyAsync(partial, {
      ...toApplyOptions(headerOptions), ...(rootId ? { rootId } : {}), taskId: groupId, chord: body.toDict(),
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
async function sendChordUnlock(app: CanvasApp, groupId: string, body: AnySignature, headerIds: readonly string[]): Promise<void> {
  const bodyTask = (app as { tasks?: ReadonlyMap<string, Task> }).tasks?.get(body.task);
  const queue = body.options['queue'] ?? bodyTask?.options.queue;
  const priority = body.options['priority'] ?? bodyTask?.options.priority;
  await app.sendTask('celery.chord_unlock', [groupId, body.toDict()], {
    kwargs: { interval: null, max_retries: null, result: headerIds.map((id) => [[id, null], null]) },
    countdown: CHORD_UNLOCK_COUNTDOWN,
    ...(typeof queue === 'string' ? { queue } : {}),
    ...(typeof priority === 'number' ? { priority } : {}),
  });
}

Signature.registerType('chord', (dict, app) => Chord.fromDict(dict, app));

/** A header group whose results go, as one list, to `body` (Celery `chord(header, body)`). */
export function chord<R = unknown>(header: readonly SigLike[] | Group, body: SigLike | null = null): Chord<R> {
  return new Chord<R>(header, body);
}
