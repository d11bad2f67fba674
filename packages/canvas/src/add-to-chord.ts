/**
 * `ctx.addToChord(sig, { lazy })` (Celery `Task.add_to_chord`): a chord header task grows its chord
 * while it runs. `sig` gets the running task's group id, group index, chord body (`chord`) and root
 * id, and a task id; the result backend counts one more header part (`Backend.addToChord`: Redis
 * INCRs `celery-taskset-meta-<group id>.t`, which the chord counter adds to the size stored in
 * `.s`); then `sig` is sent with `parent_id` = the running task, unless `lazy`, which returns the
 * prepared signature for the caller to send. The running task is still uncounted when it calls this,
 * so the chord cannot complete before the new part is counted; the body gets every result, the new
 * part's beside the running task's (both have its group index, as in Celery).
 *
 * Only plain task signatures: a chain or group would put the chord on the wrong message.
 */
import { AddToChordUnsupportedError, NotInChordError, type AsyncResult, type SignatureLike, type Task, type TaskContext } from '@cq/app';
import { UnsupportedCanvasError } from './errors.js';
import { ownSignature } from './replace.js';
import type { AnySignature, CanvasApp } from './signature.js';

/**
 * Adds `sigLike` to the running task's chord (see the module comment).
 * @returns the sent signature's AsyncResult, or with `lazy` the prepared signature (a copy).
 * @throws NotInChordError (Python `ValueError`) when the task is not a chord header part;
 *   UnsupportedCanvasError for a composite signature; AddToChordUnsupportedError (Python
 *   `NotImplementedError`) when the result backend cannot grow chords (all but Redis, as in Celery);
 *   what the backend and sending throw.
 */
export async function addToChord(task: Task, context: TaskContext, sigLike: SignatureLike, lazy: boolean): Promise<AsyncResult<unknown> | AnySignature> {
  const request = context.request;
  if (!request.embed.chord || !request.group) throw new NotInChordError();
  const app = task.app as CanvasApp;
  const sig = ownSignature(sigLike, app);
  if (sig.subtaskType !== null) throw new UnsupportedCanvasError(`addToChord takes a plain task signature, not a ${sig.subtaskType}`);
  const rootId = request.rootId || request.id;
  sig.set({ group_id: request.group, group_index: request.groupIndex, chord: request.embed.chord, root_id: rootId });
  const result = sig.freeze();
  const backend = app.backend ? await app.backend() : null;
  if (!backend || !(await backend.addToChord(request.group, result.id))) throw new AddToChordUnsupportedError();
  if (lazy) return sig;
  return await sig.applyAsync([], { parentId: request.id, rootId }) as AsyncResult<unknown>;
}
