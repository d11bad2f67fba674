/**
 * `ctx.replace(sig)` (Celery 5.2 `Task.replace`): the running task hands its place to `sig`.
 *
 * What the replacement inherits, as in Celery:
 * - the task id: the signature that finishes the replacement (the signature itself, the last task of
 *   a chain, a chord's body) is frozen with the running task's id, so AsyncResults already handed out
 *   resolve to the replacement's result;
 * - a group is first turned into a chord whose body is `celery.accumulate` (`index=0`), which returns
 *   the list of the group's results under that id;
 * - the request's link callbacks go to that final signature, its errbacks to every task of the
 *   replacement (a chord: its body), and the chord, group id and group index (a chord header part
 *   stays one) to the final signature;
 * - root id, `parent_id` = the running task, and `replaced_task_nesting` + 1 on the replacement's messages;
 * - the rest of the request's chain runs after the replacement, its tasks keeping their ids (after a
 *   chord, the chain becomes the body's continuation, as Celery's `chord | task`).
 *
 * Then the running task rejects with `Ignore('Replaced by new task')`: it stores no result and its
 * own continuation (callbacks, chain, chord part) is not run, since the replacement carries it.
 * Installed into @cq/app by `task-canvas.ts`.
 */
import { Ignore, ImproperlyConfigured, type SignatureLike, type Task, type TaskContext, type TaskRequest } from '@cq/app';
import { Chain } from './chain.js';
import { Chord } from './chord.js';
import { UnsupportedCanvasError } from './errors.js';
import { signatureFromDict } from './from-dict.js';
import { Group } from './group.js';
import { signatureList } from './options.js';
import { Signature, type AnySignature, type CanvasApp } from './signature.js';

/** A copy of `sig` as a Signature (composites as their class) sent by `app` when it has none. */
export function ownSignature(sig: SignatureLike, app: CanvasApp): AnySignature {
  const dict = (s: SignatureLike): Record<string, unknown> =>
    'toDict' in s && typeof s.toDict === 'function' ? (s as { toDict(): Record<string, unknown> }).toDict() : s;
  const copy = sig instanceof Signature ? (sig as AnySignature).clone() : signatureFromDict(dict(sig), app);
  withApp(copy, app);
  return copy;
}

/** Gives `app` to the signature and its parts that have none (signatures built from a task name). */
function withApp(sig: AnySignature, app: CanvasApp): void {
  if (!sig.app) sig.app = app;
  if (sig instanceof Chain || sig instanceof Group) for (const t of sig.tasks) withApp(t, app);
  else if (sig instanceof Chord) {
    for (const t of sig.header) withApp(t, app);
    if (sig.body) withApp(sig.body, app);
  }
}

/**
 * Moves a chain's own `link` to its last task and `link_error` to each of its tasks (Celery
 * `unchain_tasks`), so they still apply once more tasks are appended after it.
 */
function pushDownLinks(chain: Chain): void {
  const { link, link_error: linkError } = chain.options;
  delete chain.options['link'];
  delete chain.options['link_error'];
  for (const cb of signatureList(link) ?? []) finalOf(chain).link(cb);
  for (const eb of signatureList(linkError) ?? []) for (const t of erroring(chain)) t.linkError(eb);
}

/** Sets `options` on every task message a signature sends (chain steps, group members, chord header and body). */
function setEverywhere(sig: AnySignature, options: Record<string, unknown>): void {
  if (sig instanceof Chain || sig instanceof Group) for (const t of sig.tasks) setEverywhere(t, options);
  else if (sig instanceof Chord) {
    for (const t of sig.header) setEverywhere(t, options);
    if (sig.body) setEverywhere(sig.body, options);
  } else sig.set(options);
}

/** The signature whose result is the replacement's result: a plain task, a chain's last task, a chord's body. */
function finalOf(sig: AnySignature): AnySignature {
  if (sig instanceof Chain) {
    const last = sig.tasks[sig.tasks.length - 1];
    if (!last) throw new ImproperlyConfigured('Cannot replace with an empty chain');
    return finalOf(last);
  }
  if (sig instanceof Chord && sig.body) return finalOf(sig.body);
  if (sig instanceof Group) throw new UnsupportedCanvasError('a replacement ending with a group has no single result: end it with a task, or replace with the group itself');
  return sig;
}

/** The tasks of the replacement in run order, for errbacks (Celery links them to each task of a chain). */
function erroring(sig: AnySignature): AnySignature[] {
  if (sig instanceof Chain) return sig.tasks.flatMap(erroring);
  if (sig instanceof Chord && sig.body) return [sig.body];
  return [sig];
}

/** The `replaced_task_nesting` of the running request (0 when absent). */
function nestingOf(request: TaskRequest): number {
  const value = request.headers['replaced_task_nesting'];
  return typeof value === 'number' ? value : 0;
}

/**
 * Sends the replacement of the running `task` (see the module comment) and rejects with `Ignore`.
 * @throws ImproperlyConfigured when `sig` has a `chord` option ("A signature replacing a task must
 *   not be part of a chord") or is an empty chain; UnsupportedCanvasError for a chain ending with a
 *   group; what sending throws (the task then fails with it).
 */
export async function replaceTask(task: Task, context: TaskContext, sigLike: SignatureLike): Promise<never> {
  const app = task.app as CanvasApp;
  const request = context.request;
  let sig = ownSignature(sigLike, app);
  if (sig.options['chord'] !== undefined && sig.options['chord'] !== null) {
    throw new ImproperlyConfigured('A signature replacing a task must not be part of a chord');
  }
  if (sig instanceof Chain && sig.tasks.length === 0) throw new ImproperlyConfigured('Cannot replace with an empty chain');
  // Celery uplifts a group to a chord so that callbacks can be linked onto its body.
  if (sig instanceof Group) sig = new Chord(sig, new Signature('celery.accumulate', { kwargs: { index: 0 }, app }), app);

  if (sig instanceof Chain) pushDownLinks(sig);
  const final = finalOf(sig);
  for (const callback of request.embed.callbacks ?? []) final.link(callback);
  for (const errback of request.embed.errbacks ?? []) for (const t of erroring(sig)) t.linkError(errback);
  final.options['task_id'] = request.id;
  if (request.embed.chord) final.set({ chord: request.embed.chord });
  if (request.group) final.set({ group_id: request.group });
  if (request.groupIndex !== null) final.set({ group_index: request.groupIndex });
  const rootId = request.rootId || request.id;
  setEverywhere(sig, { root_id: rootId, replaced_task_nesting: nestingOf(request) + 1 });

  // The rest of the chain, first to run first; each element keeps its frozen id.
  const rest = [...(request.embed.chain ?? [])].reverse().map((dict) => signatureFromDict(dict, app));
  let head: AnySignature = sig;
  if (rest.length > 0 && sig instanceof Chord) {
    sig.body = new Chain([sig.body!, ...rest], app);
  } else if (rest.length > 0) {
    head = new Chain([...(sig instanceof Chain ? sig.tasks : [sig]), ...rest], app);
  }
  await head.applyAsync([], { parentId: request.id, rootId });
  throw new Ignore('Replaced by new task');
}
