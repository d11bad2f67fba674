import { describe, expect, it } from 'vitest';
import { deferred } from '@cq/vine';
import { JobWindow, type PoolJob } from './job-window.js';

/** A job that runs until `finish()` is called. */
function job(log: string[], name: string) {
  const done = deferred<void>();
  const j: PoolJob & { finish(): void } = {
    run: () => { log.push(`run ${name}`); return done.promise; },
    finish: () => done.resolve(),
  };
  return j;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('JobWindow', () => {
  it('runs up to its window, queues the rest in order and starts them as jobs finish', async () => {
    const log: string[] = [];
    const w = new JobWindow(2);
    const [a, b, c] = [job(log, 'a'), job(log, 'b'), job(log, 'c')];
    w.apply(a); w.apply(b); w.apply(c);
    expect([w.active, w.waiting, log]).toEqual([2, 1, ['run a', 'run b']]);
    a.finish();
    await tick();
    expect([w.active, w.waiting, log]).toEqual([2, 0, ['run a', 'run b', 'run c']]);
  });

  it('opens a wider window than its limit when told (a process pool prefetching into children)', () => {
    const log: string[] = [];
    const w = new JobWindow(1, (limit) => limit * 3);
    for (const n of ['a', 'b', 'c', 'd']) w.apply(job(log, n));
    expect([w.limit, w.active, w.waiting]).toEqual([1, 3, 1]);
  });

  it('resolves whenIdle once nothing runs or waits, takes waiting jobs back and resizes', async () => {
    const log: string[] = [];
    const w = new JobWindow(1);
    await w.whenIdle();
    const [a, b] = [job(log, 'a'), job(log, 'b')];
    w.apply(a); w.apply(b);
    let idle = false;
    void w.whenIdle().then(() => { idle = true; });
    expect(w.takeWaiting()).toEqual([b]);
    await tick();
    expect(idle).toBe(false);
    a.finish();
    await tick();
    expect(idle).toBe(true);
    w.resize(3);
    expect(w.limit).toBe(3);
    expect(() => w.resize(0)).toThrow(RangeError);
    expect(() => new JobWindow(1.5)).toThrow(RangeError);
  });
});
