import { describe, expect, it } from 'vitest';
import { WorkerLostError } from './errors.js';
import { failureSettlement } from './request.js';

describe('failureSettlement (Celery Request.on_failure)', () => {
  const lost = new WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL).');
  const plain = new Error('boom');

  it('leaves early-acked messages alone and stores the failure', () => {
    expect(failureSettlement(lost, { acksLate: false, rejectOnWorkerLost: true, acksOnFailureOrTimeout: true })).toEqual({ settle: 'none', storeFailure: true });
  });

  it('requeues an acks-late task whose worker was lost only with reject_on_worker_lost, storing nothing', () => {
    expect(failureSettlement(lost, { acksLate: true, rejectOnWorkerLost: true, acksOnFailureOrTimeout: true })).toEqual({ settle: 'requeue', storeFailure: false });
    expect(failureSettlement(lost, { acksLate: true, rejectOnWorkerLost: false, acksOnFailureOrTimeout: true })).toEqual({ settle: 'ack', storeFailure: true });
    expect(failureSettlement(plain, { acksLate: true, rejectOnWorkerLost: true, acksOnFailureOrTimeout: true })).toEqual({ settle: 'ack', storeFailure: true });
  });

  it('rejects without requeue when acks_on_failure_or_timeout is false', () => {
    expect(failureSettlement(plain, { acksLate: true, rejectOnWorkerLost: false, acksOnFailureOrTimeout: false })).toEqual({ settle: 'reject', storeFailure: true });
    expect(failureSettlement(lost, { acksLate: true, rejectOnWorkerLost: true, acksOnFailureOrTimeout: false })).toEqual({ settle: 'requeue', storeFailure: false });
  });
});
