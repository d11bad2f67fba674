/** Recycling, sizing and shutdown, for both kinds (prefork and threads). */

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, PoolClosedError, WorkerInitError } from '@cq/billiard';
import { KINDS, startPool, terminateAll, until } from './helpers.js';

afterEach(terminateAll);

describe.each(KINDS)('%s pool', (kind) => {
  it('replaces a child after maxTasksPerChild jobs', async () => {
    const childrenStarted: number[] = [];
    const pool = await startPool(kind, { size: 1, maxTasksPerChild: 2, onChildStarted: (pid) => childrenStarted.push(pid) });
    const pids: number[] = [];
    for (let i = 0; i < 5; i++) pids.push(await pool.apply<number>({ op: 'pid' }));
    expect(childrenStarted.slice(0, 3)).toEqual([pids[0], pids[2], pids[4]]);
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[4]).not.toBe(pids[3]);
  });

  it('replaces a child whose memory passes maxMemoryPerChild after the job that allocated it', async () => {
    const pool = await startPool(kind, { size: 1, maxMemoryPerChild: 150_000 });
    const before = await pool.apply<number>({ op: 'pid' });
    // 100 MiB of heap plus a 100 MiB buffer: well past the 146 MiB limit whatever the child's baseline
    // (a thread counts its own heap and external memory, a process its resident set)
    const allocating = pool.apply<number>({ op: 'alloc', mib: 100 });
    const queuedBehind = pool.apply<number>({ op: 'pid' }); // prefetched into the child, handed back on retire
    expect(await allocating).toBe(before);
    const after = await queuedBehind;
    expect(after).not.toBe(before);
    expect(await pool.apply<number>({ op: 'pid' })).toBe(after);
  });

  it('grow() and shrink() change the number of children; shrink takes idle children first', async () => {
    const pool = await startPool(kind, { size: 1 });
    pool.grow(2);
    expect(pool.size).toBe(3);
    await until(() => pool.pids.length === 3);
    const busy = pool.apply<number>({ op: 'sleep', ms: 1_500 });
    await until(() => pool.active === 1);
    pool.shrink(2);
    expect(pool.size).toBe(1);
    await until(() => pool.pids.length === 1); // the two idle children went first
    const busyPid = await busy; // the busy child was kept and finished its job
    expect(pool.pids).toEqual([busyPid]);
    expect(await pool.apply<number>({ op: 'pid' })).toBe(busyPid);
  });

  it('shrink() lets a busy child finish its job before it exits', async () => {
    const exits: number[] = [];
    const pool = await startPool(kind, { size: 1, onChildExit: (pid) => exits.push(pid) });
    const job = pool.apply<number>({ op: 'sleep', ms: 800 });
    await until(() => pool.active === 1);
    pool.shrink(1);
    const pid = await job;
    await until(() => exits.length === 1);
    expect(exits).toEqual([pid]);
    expect(pool.pids).toEqual([]);
  });

  it('close() waits for running and queued jobs, runs onProcessShutdown in every child; later apply() rejects', async () => {
    const shutdowns: Array<[number, number | null]> = [];
    const shutdownDir = await mkdtemp(join(tmpdir(), 'cq-billiard-'));
    const pool = await startPool(kind, { initArgs: { tag: 'test', shutdownDir }, onChildExit: (pid, code) => shutdowns.push([pid, code]) });
    const pids = pool.pids;
    const jobs = [1, 2, 3, 4, 5].map(() => pool.apply<number>({ op: 'sleep', ms: 300 }));
    let done = 0;
    for (const job of jobs) void job.then(() => done++);
    await pool.close();
    expect(done).toBe(5);
    expect(shutdowns.map(([, code]) => code)).toEqual([0, 0]);
    expect(pool.pids).toEqual([]);
    expect((await readdir(shutdownDir)).sort()).toEqual(pids.map(String).sort());
    await rm(shutdownDir, { recursive: true });
    await expect(pool.apply({ op: 'pid' })).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('fails start() with WorkerInitError when init() throws in the child', async () => {
    const pool = new Pool({ kind, size: 1, entry: new URL('./fixtures/bad-entry.ts', import.meta.url) });
    const queued = pool.apply({ op: 'pid' });
    const error = await pool.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerInitError);
    expect(error).toMatchObject({ cause: { name: 'TypeError', message: 'no database for this child' } });
    await expect(queued).rejects.toBeInstanceOf(WorkerInitError);
    await pool.terminate();
    expect(pool.pids).toEqual([]);
  });

  it('autoscales between min and max with the number of jobs', async () => {
    const pool = await startPool(kind, { autoscale: { min: 1, max: 3, keepalive: 0.5, interval: 0.1 } });
    expect(pool.pids).toHaveLength(1);
    const jobs = [1, 2, 3, 4].map(() => pool.apply({ op: 'sleep', ms: 1_500 }));
    await until(() => pool.size === 3 && pool.pids.length === 3);
    await Promise.all(jobs);
    await until(() => pool.size === 1 && pool.pids.length === 1);
  });
});
