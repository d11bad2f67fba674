import { describe, expect, it } from 'vitest';
import { Ignore, Reject, Retry, SoftTimeLimitExceeded, TimeLimitExceeded } from '@cq/app';
import { TimeLimitExceeded as PoolTimeLimitExceeded, WorkerLostError as PoolWorkerLostError, deserializeError, serializeError } from '@cq/billiard';
import { fromChild } from './executor.js';
import { WorkerLostError } from './errors.js';

/** An error as the parent receives it from a child: serialized there, re-created here. */
const crossed = (error: Error): Error => deserializeError(structuredClone(serializeError(error)));

describe('fromChild', () => {
  it('re-creates the control-flow signals by code: Retry keeps its options and the message to re-send', () => {
    const retry = new Retry('Retry in 5s', { countdown: 5 });
    retry.sig = { name: 'proj.add', args: [1, 2], options: { retries: 1, countdown: 5 } };
    const back = fromChild(crossed(retry));
    expect(back).toBeInstanceOf(Retry);
    expect(back).toMatchObject({ message: 'Retry in 5s', options: { countdown: 5 }, sig: retry.sig });
    expect(fromChild(crossed(new Ignore('skip')))).toBeInstanceOf(Ignore);
    const reject = fromChild(crossed(new Reject('bad', true)));
    expect(reject).toBeInstanceOf(Reject);
    expect(reject).toMatchObject({ message: 'bad', requeue: true });
  });

  it("maps the pool's TimeLimitExceeded and WorkerLostError to the classes the worker stores and settles by", () => {
    const hard = fromChild(new PoolTimeLimitExceeded(2));
    expect(hard).toBeInstanceOf(TimeLimitExceeded);
    expect(hard).toMatchObject({ message: 'hard time limit (2 s) exceeded' });
    const lost = fromChild(new PoolWorkerLostError('gone', { signal: 'SIGKILL', exitCode: null }));
    expect(lost).toBeInstanceOf(WorkerLostError);
    expect(lost).toMatchObject({ message: 'Worker exited prematurely: signal 9 (SIGKILL).' });
    expect(fromChild(new PoolWorkerLostError('gone', { exitCode: 3 }))).toMatchObject({ message: 'Worker exited prematurely: exitcode 3.' });
    expect(fromChild(crossed(new SoftTimeLimitExceeded('soft')))).toBeInstanceOf(SoftTimeLimitExceeded);
  });

  it("passes a task's own error through with its name", () => {
    class QuotaError extends Error {
      override name = 'QuotaError';
    }
    const back = fromChild(crossed(new QuotaError('over')));
    expect(back).toBeInstanceOf(Error);
    expect(back).toMatchObject({ name: 'QuotaError', message: 'over' });
  });
});
