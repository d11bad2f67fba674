import { describe, expect, it } from 'vitest';
import { createLogger } from '@cq/app';
import { AsyncPool, SoloPool, type Pool } from './pool.js';
import { canAutoscale, canResize, canRestart, canTerminateJobs, isManagedPool, listsProcesses, runsInChildren } from './pool-capabilities.js';
import { ProcessPool } from './process-pool.js';

const guards = (pool: Pool) => ({
  managed: isManagedPool(pool), executor: runsInChildren(pool), resize: canResize(pool), restart: canRestart(pool),
  autoscale: canAutoscale(pool), terminate: canTerminateJobs(pool), processes: listsProcesses(pool),
});

describe('pool capabilities', () => {
  it('an in-process pool has none', () => {
    const none = { managed: false, executor: false, resize: false, restart: false, autoscale: false, terminate: false, processes: false };
    expect(guards(new AsyncPool(4))).toEqual(none);
    expect(guards(new SoloPool())).toEqual(none);
  });

  it('a process pool is managed, an executor, resizable, restartable, terminates jobs and lists its children', () => {
    // Not started: no child exists yet.
    const pool = new ProcessPool({ kind: 'threads', concurrency: 2, init: { appModule: '/none.js', brokerUrl: 'memory://' }, log: createLogger({ level: 'critical' }) });
    expect(guards(pool)).toEqual({ managed: true, executor: true, resize: true, restart: true, autoscale: false, terminate: true, processes: true });
    expect(pool.pids).toEqual([]);
  });

  it('a pool from a factory declares what it implements', () => {
    const custom = Object.assign(new AsyncPool(1), { grow: () => undefined, shrink: () => undefined, pids: [42] });
    expect(guards(custom)).toMatchObject({ resize: true, processes: true, managed: false });
  });
});
