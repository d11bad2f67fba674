/** `terminateJob()` (billiard `terminate_job`, Celery's revoke with terminate), for both kinds. */

import { afterEach, describe, expect, it } from 'vitest';
import { JobTerminatedError } from '@cq/billiard';
import { KINDS, startPool, terminateAll, until } from './helpers.js';

afterEach(terminateAll);

describe.each(KINDS)('%s pool terminateJob()', (kind) => {
  it('removes a job waiting in the pool or prefetched in a child, kills the child running a busy loop, and replaces it', async () => {
    const started: Array<string | number> = [];
    const exits: Array<[number, NodeJS.Signals | null]> = [];
    const pool = await startPool(kind, {
      size: 1,
      onJobStarted: (jobId) => started.push(jobId),
      onChildExit: (pid, _code, signal) => exits.push([pid, signal]),
    });
    const [busyPid] = pool.pids;
    const busy = pool.apply({ op: 'busy' }, { jobId: 'busy' }).catch((e: unknown) => e);
    const prefetched = pool.apply({ op: 'pid' }, { jobId: 'prefetched' }).catch((e: unknown) => e);
    const waiting = pool.apply({ op: 'pid' }, { jobId: 'waiting' }).catch((e: unknown) => e);
    await until(() => started.includes('busy'));
    expect(pool.queued).toBe(2);

    expect(pool.terminateJob('waiting')).toBe(true);
    expect(await waiting).toMatchObject({ name: 'JobTerminatedError', code: 'CQ_BILLIARD_JOB_TERMINATED', jobId: 'waiting', signal: null });
    expect(pool.terminateJob('prefetched')).toBe(true);
    expect(await prefetched).toBeInstanceOf(JobTerminatedError);
    expect(pool.queued).toBe(0);

    expect(pool.terminateJob('busy')).toBe(true); // default SIGTERM
    const error = await busy;
    expect(error).toBeInstanceOf(JobTerminatedError);
    expect(error).toMatchObject({ code: 'CQ_BILLIARD_JOB_TERMINATED', jobId: 'busy', signal: 'SIGTERM' });
    await until(() => exits.length === 1);
    expect(exits[0]).toEqual([busyPid, kind === 'prefork' ? 'SIGTERM' : null]);
    expect(started).toEqual(['busy']); // the removed jobs never ran

    await until(() => pool.pids.length === 1 && pool.pids[0] !== busyPid);
    expect(await pool.apply({ op: 'echo', value: 'after' })).toMatchObject({ value: 'after' });
    expect(pool.terminateJob('busy')).toBe(false);
    expect(() => pool.terminateJob('x', 'SIGNOPE' as NodeJS.Signals)).toThrow(RangeError);
  });

  it('SIGKILL stops one child while the other keeps serving', async () => {
    const started: Array<[string | number, number]> = [];
    const exits: Array<NodeJS.Signals | null> = [];
    const pool = await startPool(kind, { onJobStarted: (jobId, pid) => started.push([jobId, pid]), onChildExit: (_pid, _code, signal) => exits.push(signal) });
    const busy = pool.apply({ op: 'busy' }, { jobId: 'busy' }).catch((e: unknown) => e);
    await until(() => started.length === 1);
    const busyPid = started[0]![1];
    const other = await pool.apply<number>({ op: 'pid' });
    if (kind === 'prefork') expect(other).not.toBe(busyPid);
    expect(pool.terminateJob('busy', 'SIGKILL')).toBe(true);
    expect(await busy).toMatchObject({ name: 'JobTerminatedError', signal: 'SIGKILL' });
    await until(() => exits.length === 1);
    expect(exits).toEqual([kind === 'prefork' ? 'SIGKILL' : null]);
    await until(() => pool.pids.length === 2 && !pool.pids.includes(busyPid));
    expect(await pool.apply({ op: 'echo', value: 2 })).toMatchObject({ value: 2 });
  });
});
