/**
 * The worker side of a chord: counting a finished header task, applying the body when it was the
 * last one, and failing the body when the header failed (Celery `Backend.on_chord_part_return`,
 * `RedisBackend.on_chord_part_return`, `Backend.chord_error_from_stack`).
 *
 * The result backend does the atomic counting (`Backend.onChordPartReturn`) and hands the header's
 * parts, in group order, to exactly one caller; that caller:
 * - when a part is FAILURE or REVOKED: stores FAILURE for the body with
 *   `ChordError('Dependency <id> raised <repr>')` after applying the body's errbacks;
 * - else: sends the body with the list of results as its first argument (Celery `callback.delay(resl)`);
 *   when that send fails, the body gets `ChordError('Callback error: <repr>')`.
 */
import { pythonRepr, type Celery, type TaskRequest } from '@cq/app';
import { PROPAGATE_STATES, isExceptionInfo, type Backend, type ChordPart, type State } from '@cq/backend';
import { ChordError } from './errors.js';
import { signatureFromDict } from './from-dict.js';
import type { AnySignature } from './signature.js';

/** Applies the errbacks of a failed task; continuation.ts passes its own to avoid an import cycle. */
export type ErrbackRunner = (app: Celery, request: TaskRequest, error: Error) => Promise<void>;

/** Python's `repr()` of a stored exception dict or value, e.g. `ValueError('boom')`. */
export function reprResult(value: unknown): string {
  if (isExceptionInfo(value)) {
    const args = Array.isArray(value.exc_message) ? value.exc_message : [value.exc_message];
    return `${value.exc_type}(${args.map((a) => pythonRepr(a)).join(', ')})`;
  }
  if (value instanceof Error) return `${value.name}(${pythonRepr(value.message)})`;
  return pythonRepr(value);
}

/**
 * Reports a finished chord header task to the backend and, when it completed the chord, applies
 * the body or fails it. Does nothing for a task without `embed.chord` or without a result backend.
 * @param result the return value, or the Error for FAILURE.
 * @throws what the backend throws while counting (the part was then not counted).
 */
export async function chordPartReturn(app: Celery, request: TaskRequest, state: State, result: unknown, runErrbacks: ErrbackRunner): Promise<void> {
  const chord = request.embed.chord;
  if (!chord) return;
  const backend = await app.backend();
  if (!backend) return;
  const parts = await backend.onChordPartReturn({ id: request.id, group: request.group, groupIndex: request.groupIndex }, state, result);
  if (parts) await applyChordBody(app, backend, request.group ?? '', signatureFromDict(chord, app), parts, runErrbacks);
}

/**
 * Applies `body` with the parts' results, or fails it with ChordError naming the first failed part
 * (Celery `_unpack_chord_result` raises at the first FAILURE/REVOKED in group order). Never throws:
 * problems are logged on `app.log`.
 */
export async function applyChordBody(app: Celery, backend: Backend, groupId: string, body: AnySignature, parts: readonly ChordPart[], runErrbacks: ErrbackRunner): Promise<void> {
  const failed = parts.find((p) => PROPAGATE_STATES.has(p.state));
  if (failed) {
    const error = new ChordError(`Dependency ${failed.taskId} raised ${reprResult(failed.result)}`);
    app.log.error(`Chord ${groupId} raised: ${error.message}`);
    await chordErrorFromStack(app, backend, body, error, runErrbacks);
    return;
  }
  try {
    await body.applyAsync([parts.map((p) => p.result)]);
  } catch (err) {
    app.log.error(`Chord callback for ${groupId} raised: ${String(err)}`);
    await chordErrorFromStack(app, backend, body, new ChordError(`Callback error: ${reprResult(err)}`, { cause: err }), runErrbacks);
  }
}

/**
 * Celery `chord_error_from_stack`: applies the body's errbacks as if the body had failed (old-style
 * errbacks get the body's task id), then stores FAILURE with `error` for the body's task id. Never throws.
 */
export async function chordErrorFromStack(app: Celery, backend: Backend, body: AnySignature, error: ChordError, runErrbacks: ErrbackRunner): Promise<void> {
  const bodyId = typeof body.options['task_id'] === 'string' ? body.options['task_id'] : null;
  const errbacks = body.options['link_error'];
  const request: TaskRequest = {
    id: bodyId ?? '', task: body.task, args: body.args, kwargs: body.kwargs, retries: 0, eta: null, expires: null,
    hostname: '', deliveryInfo: {} as TaskRequest['deliveryInfo'], replyTo: null, correlationId: bodyId,
    parentId: null, rootId: null, group: null, groupIndex: null, origin: null, timeLimit: [null, null],
    ignoreResult: false, headers: {},
    embed: { callbacks: null, errbacks: Array.isArray(errbacks) ? errbacks : errbacks ? [errbacks] : null, chain: null, chord: null },
    isEager: false,
  };
  await runErrbacks(app, request, error).catch((e: unknown) => app.log.error(`errbacks of chord body ${body.task} raised: ${String(e)}`));
  if (bodyId) {
    await backend.markAsFailure(bodyId, error, null).catch((e: unknown) =>
      app.log.error(`could not store FAILURE for chord body ${body.task}[${bodyId}]: ${String(e)}`));
  }
}
