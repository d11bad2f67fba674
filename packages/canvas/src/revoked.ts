/**
 * A chord header task that is revoked (revoked before it ran, expired, or terminated) still counts
 * as a part of its chord, as in Celery 5.2: `Backend.mark_as_revoked` calls `on_chord_part_return`
 * with REVOKED and `TaskRevokedError(reason)` when the request has a chord. Once the chord is
 * complete, the body is not applied: it gets FAILURE with `ChordError('Dependency <id> raised
 * TaskRevokedError(<reason>)')` and its errbacks run (see `chord-join.ts`).
 */
import { REVOKED } from '@cq/backend';
import { chordPartReturn } from './chord-join.js';
import { applyErrbacks, type FinishedRequest } from './continuation.js';

/**
 * Counts the revoked task `request` as a REVOKED part of its chord; nothing for a task outside a
 * chord or without a result backend. Called by the worker after it stored REVOKED.
 * @param reason `revoked`, `expired` or `terminated`, the TaskRevokedError's argument.
 * @throws what the backend throws while counting.
 */
export async function continueOnRevoked({ app, request }: FinishedRequest, reason: string): Promise<void> {
  const error = { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' };
  await chordPartReturn(app, request, REVOKED, error, (a, r, e) => applyErrbacks(a, r, e, null));
}
