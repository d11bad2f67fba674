import { describe, expect, it } from 'vitest';
import { Celery, createLogger } from '@cq/app';
import { WorkerError } from '../errors.js';
import { ProcessPool } from '../process-pool.js';
import { Worker } from '../worker.js';

const app = (settings: Record<string, unknown> = {}): Celery => {
  const a = new Celery('t', { broker_url: 'memory://', ...settings });
  a.log = createLogger({ level: 'critical' });
  return a;
};

describe('PoolComponent: which pool', () => {
  it('defaults to async in code, prefork when given appModule, and worker_pool when set', () => {
    expect(new Worker(app()).pool.name).toBe('async');
    const prefork = new Worker(app(), { appModule: '/srv/tasks.js', concurrency: 3 });
    expect(prefork.pool).toBeInstanceOf(ProcessPool);
    expect(prefork.pool.name).toBe('prefork');
    expect(prefork.pool.limit).toBe(3);
    expect(prefork.prefetchCount).toBe(12);
    expect(new Worker(app({ worker_pool: 'solo' })).pool.name).toBe('solo');
    expect(new Worker(app({ worker_pool: 'threads' }), { appModule: '/srv/tasks.js' }).pool.name).toBe('threads');
  });

  it('sizes a process pool by autoscale max, and refuses prefork/threads without appModule or an unknown name', () => {
    expect(new Worker(app(), { pool: 'threads', appModule: '/srv/tasks.js', autoscale: { max: 6, min: 1 } }).pool.limit).toBe(6);
    expect(() => new Worker(app(), { pool: 'prefork' })).toThrow(WorkerError);
    expect(() => new Worker(app(), { pool: 'gevent' as never })).toThrow(/use one of prefork, threads, async, solo/);
  });
});
