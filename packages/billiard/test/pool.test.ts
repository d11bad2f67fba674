/** Jobs, errors, time limits and lost children, for both kinds (prefork and threads). */

import { afterEach, describe, expect, it } from 'vitest';
import { PoolClosedError, SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError } from '@cq/billiard';
import { KINDS, startPool, terminateAll, until } from './helpers.js';

afterEach(terminateAll);

describe.each(KINDS)('%s pool', (kind) => {
  it('runs a TypeScript entry loaded via tsx: results cross by structured clone, with initArgs and onProcessInit', async () => {
    const pool = await startPool(kind);
    const value = { when: new Date(0), tags: new Map([['a', 1]]), big: 10n };
    const result = await pool.apply<Record<string, unknown>>({ op: 'echo', value }, { jobId: 'job-1' });
    expect(result).toEqual({ value, jobId: 'job-1', tag: 'test', processInitTag: 'process-init:test', typed: 1 });
  });

  it('re-creates handler errors with their name, message, stack and own fields', async () => {
    const pool = await startPool(kind);
    const error = (await pool.apply({ op: 'throw' }).catch((e: unknown) => e)) as Error & { field?: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe('bad input');
    expect(error.field).toBe('email');
    expect(error.stack).toContain('entry.ts');
  });

  it('rejects a payload or a result that cannot be cloned, and keeps serving', async () => {
    const pool = await startPool(kind);
    await expect(pool.apply({ op: 'echo', value: () => 1 })).rejects.toThrow(/could not be cloned/);
    await expect(pool.apply({ op: 'unclonable' })).rejects.toThrow(/could not be cloned/);
    expect(await pool.apply({ op: 'echo', value: 2 })).toMatchObject({ value: 2 });
  });

  it('aborts ctx.signal with SoftTimeLimitExceeded at the soft limit; a cooperative job catches it', async () => {
    const pool = await startPool(kind);
    expect(await pool.apply({ op: 'soft' }, { softTimeLimit: 0.3 })).toBe('caught SoftTimeLimitExceeded');
    expect(await pool.apply({ op: 'soft-busy' }, { softTimeLimit: 0.3 })).toBe('caught SoftTimeLimitExceeded in a busy loop');
    const uncaught = await pool.apply({ op: 'soft-uncaught' }, { softTimeLimit: 0.3 }).catch((e: unknown) => e);
    expect(uncaught).toBeInstanceOf(SoftTimeLimitExceeded);
    expect(uncaught).toMatchObject({ code: 'CQ_BILLIARD_SOFT_TIME_LIMIT' });
    const wrapped = await pool.apply({ op: 'soft-timers' }, { softTimeLimit: 0.3 }).catch((e: unknown) => e);
    expect(wrapped).toMatchObject({ name: 'AbortError', cause: expect.any(SoftTimeLimitExceeded) });
    expect(await pool.apply({ op: 'soft', ms: 50 }, { softTimeLimit: 10 })).toBe('not interrupted');
  });

  it('kills a busy-looping child at the hard limit and replaces it while the other child keeps serving', async () => {
    const started: Array<[string | number, number]> = [];
    const pool = await startPool(kind, { onJobStarted: (jobId, pid) => started.push([jobId, pid]) });
    const busy = pool.apply({ op: 'busy' }, { jobId: 'busy', timeLimit: 1.5 });
    let busySettled = false;
    void busy.catch(() => (busySettled = true));
    await until(() => started.length === 1);
    const busyPid = started[0]![1];
    let servedMeanwhile = 0;
    while (!busySettled) {
      const pid = await pool.apply<number>({ op: 'sleep', ms: 20 });
      if (!busySettled) servedMeanwhile++;
      expect(pid).not.toBe(busyPid);
    }
    const error = await busy.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeLimitExceeded);
    expect((error as TimeLimitExceeded).code).toBe('CQ_BILLIARD_TIME_LIMIT');
    expect(servedMeanwhile).toBeGreaterThan(5);
    await until(() => pool.pids.length === 2 && !pool.pids.includes(busyPid));
    expect(await pool.apply({ op: 'echo', value: 'after' })).toMatchObject({ value: 'after' });
  });

  it('rejects with WorkerLostError when the child exits mid-job, and the replacement serves the next job', async () => {
    const exits: Array<[number, number | null]> = [];
    const pool = await startPool(kind, { size: 1, onChildExit: (pid, code) => exits.push([pid, code]) });
    const [firstPid] = pool.pids;
    const lost = await pool.apply({ op: 'exit' }, { jobId: 'x' }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(WorkerLostError);
    expect(lost).toMatchObject({ exitCode: 3, code: 'CQ_BILLIARD_WORKER_LOST', message: 'Worker exited prematurely: exitcode 3 Job: x.' });
    expect(exits).toEqual([[firstPid, 3]]);
    const pid = await pool.apply<number>({ op: 'pid' });
    expect(pool.pids).toEqual([kind === 'prefork' ? pid : expect.any(Number)]);
    expect(pool.pids).not.toContain(firstPid);
    const uncaught = await pool.apply({ op: 'uncaught' }).catch((e: unknown) => e);
    expect(uncaught).toMatchObject({ name: 'WorkerLostError', exitCode: 1 });
  });

  it('re-dispatches a job prefetched into a child that dies before starting it', async () => {
    const started: Array<[string | number, number]> = [];
    const pool = await startPool(kind, { size: 1, onJobStarted: (jobId, pid) => started.push([jobId, pid]) });
    const [firstPid] = pool.pids;
    const dying = pool.apply({ op: 'exit-later', ms: 300 }, { jobId: 'dying' });
    const next = pool.apply<number>({ op: 'pid' }, { jobId: 'next' });
    expect(pool.queued + pool.active).toBe(2);
    await expect(dying).rejects.toBeInstanceOf(WorkerLostError);
    await next;
    expect(started.map(([jobId]) => jobId)).toEqual(['dying', 'next']);
    expect(started[1]![1]).not.toBe(firstPid);
  });

  it('terminate() kills the children and rejects running and queued jobs', async () => {
    const pool = await startPool(kind, { size: 1 });
    const jobs = Promise.allSettled([1, 2, 3].map(() => pool.apply({ op: 'sleep', ms: 5_000 })));
    await pool.terminate();
    for (const job of await jobs) expect(job).toMatchObject({ status: 'rejected', reason: { code: 'CQ_BILLIARD_POOL_TERMINATED' } });
    await expect(pool.apply({ op: 'pid' })).rejects.toBeInstanceOf(PoolClosedError);
    expect(pool.pids).toEqual([]);
  });
});

describe('prefork pool', () => {
  it('rejects with WorkerLostError carrying the signal when a child is SIGKILLed from outside', async () => {
    const started: number[] = [];
    const pool = await startPool('prefork', { size: 1, onJobStarted: (_jobId, pid) => started.push(pid) });
    const job = pool.apply({ op: 'sleep', ms: 10_000 }, { jobId: 7 });
    await until(() => started.length === 1);
    process.kill(started[0]!, 'SIGKILL');
    await expect(job).rejects.toMatchObject({ name: 'WorkerLostError', signal: 'SIGKILL', exitCode: null, message: 'Worker exited prematurely: signal 9 (SIGKILL) Job: 7.' });
    const pid = await pool.apply<number>({ op: 'pid' });
    expect(pid).not.toBe(started[0]);
  });
});
