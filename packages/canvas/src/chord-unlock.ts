/**
 * `celery.chord_unlock`: joins a chord on result backends that cannot count chord parts themselves
 * (Celery `celery/app/builtins.py` `unlock_chord`, sent by `fallback_chord_unlock`).
 *
 * Called as `celery.chord_unlock(group_id, callback, interval=None, max_retries=None, result=[...])`,
 * `result` being the header's result tuples `[[id, null], null]`. Until every header result is
 * ready it retries itself every `interval` seconds (default `result_chord_retry_interval`, 1 s),
 * forever unless `max_retries` is given; then it applies the body with the list of results, or,
 * when a header task failed, fails the body with `ChordError('Dependency <id> raised <repr>')`
 * after applying its errbacks. Bound, results ignored, as in Celery.
 */
import { READY_STATES, PROPAGATE_STATES } from '@cq/backend';
import type { Celery, SignatureDict, TaskContext } from '@cq/app';
import { applyChordBody } from './chord-join.js';
import { applyErrbacks } from './continuation.js';
import { signatureFromDict } from './from-dict.js';

/** Celery `result_chord_retry_interval`: seconds between two checks of the header. */
export const RESULT_CHORD_RETRY_INTERVAL = 1;

type ResultTupleLike = [[string, unknown], unknown];

/** Registers `celery.chord_unlock` on `app` (replacing an earlier registration). */
export function registerChordUnlock(app: Celery): void {
  const unlock = async (
    ctx: TaskContext, groupId: string, callback: SignatureDict, interval: number | null, maxRetries: number | null,
    result: ResultTupleLike[] | null,
  ): Promise<void> => {
    const backend = await app.backend();
    if (!backend) throw new Error(`celery.chord_unlock of ${groupId}: no result backend is configured`);
    const countdown = interval ?? RESULT_CHORD_RETRY_INTERVAL;
    const retry = typeof maxRetries === 'number' ? { countdown, maxRetries } : { countdown };
    const ids = (result ?? []).map((tuple) => tuple[0][0]);
    let metas;
    try {
      metas = await backend.getManyTaskMeta(ids);
    } catch (exc) {
      return ctx.retry({ ...retry, exc });
    }
    if (!metas.every((m) => READY_STATES.has(m.status))) return ctx.retry(retry);
    const parts = metas.map((m) => ({ taskId: m.task_id, state: m.status, result: m.result }));
    const body = signatureFromDict(callback, app);
    if (!parts.some((p) => PROPAGATE_STATES.has(p.state))) app.log.info(`Chord ${groupId} is ready: applying ${body.task}`);
    await applyChordBody(app, backend, groupId, body, parts, (a, r, e) => applyErrbacks(a, r, e, null));
  };
  app.task('celery.chord_unlock', unlock, {
    bind: true, params: ['group_id', 'callback', 'interval', 'max_retries', 'result'], acceptsKwargs: true,
    maxRetries: null, defaultRetryDelay: RESULT_CHORD_RETRY_INTERVAL, ignoreResult: true,
  });
}
