import { describe, expect, it } from 'vitest';
import { EtaSchedule } from './eta-schedule.js';

describe('EtaSchedule', () => {
  it('raises the prefetch per held task, never past worker_eta_task_limit in total', () => {
    expect(EtaSchedule.raiseFor(5, 8, null)).toBe(5);
    expect(EtaSchedule.raiseFor(5, 8, 10)).toBe(2);
    expect(EtaSchedule.raiseFor(1, 8, 4)).toBe(0);
    expect(EtaSchedule.raiseFor(5, 0, 10)).toBe(5);
    let prefetch = 8;
    const s = new EtaSchedule<number>({ limit: 10, basePrefetch: 8, adjustPrefetch: (d) => { prefetch += d; }, due: () => undefined });
    const later = Date.now() + 60_000;
    for (let i = 0; i < 6; i++) s.hold(`id${i}`, later, i);
    expect(prefetch).toBe(10);
    expect(s.takeAll()).toHaveLength(6);
    expect(prefetch).toBe(8);
  });

  it('runs items when due, in ETA order, and lowers the prefetch again', async () => {
    const due: string[] = [];
    let prefetch = 4;
    const s = new EtaSchedule<string>({ limit: null, basePrefetch: 4, adjustPrefetch: (d) => { prefetch += d; }, due: (x) => due.push(x) });
    const t = Date.now();
    s.hold('b', t + 60, 'b');
    s.hold('a', t + 20, 'a');
    s.hold('c', t + 100, 'c');
    expect(prefetch).toBe(7);
    await new Promise((r) => setTimeout(r, 200));
    expect(due).toEqual(['a', 'b', 'c']);
    expect(prefetch).toBe(4);
    expect(s.size).toBe(0);
  });
});
