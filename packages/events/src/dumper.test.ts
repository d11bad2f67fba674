import { describe, expect, it } from 'vitest';
import { Dumper, formatUtcTimestamp, humanizeType } from './dumper.js';

describe('Dumper', () => {
  it('formats timestamps as Python str(datetime.utcfromtimestamp())', () => {
    expect(formatUtcTimestamp(1795326904.356)).toBe('2026-11-22 05:55:04.356000');
    expect(formatUtcTimestamp(1795326904)).toBe('2026-11-22 05:55:04');
  });

  it('humanizes types as Celery', () => {
    expect(humanizeType('worker-heartbeat')).toBe('heartbeat');
    expect(humanizeType('worker-online')).toBe('started');
    expect(humanizeType('task-succeeded')).toBe('task succeeded');
  });

  it('prints task and worker events like celery events --dump', () => {
    const lines: string[] = [];
    const d = new Dumper((l) => lines.push(l));
    d.onEvent({ type: 'task-received', hostname: 'w1@h', timestamp: 1795326904, uuid: 'u1', name: 'proj.add', args: '(2, 3)', kwargs: '{}', clock: 3, retries: 0 });
    d.onEvent({ type: 'task-succeeded', hostname: 'w1@h', timestamp: 1795326904, uuid: 'u1', result: '5', runtime: 0.5, clock: 4 });
    d.onEvent({ type: 'worker-heartbeat', hostname: 'w1@h', timestamp: 1795326904, freq: 2, active: 0, sw_ident: 'py-celery', eta: null });
    expect(lines).toEqual([
      'w1@h [2026-11-22 05:55:04] task received: proj.add(u1) args=(2, 3) kwargs={} clock=3, retries=0',
      'w1@h [2026-11-22 05:55:04] task succeeded: proj.add(u1) args=(2, 3) kwargs={} clock=4, result=5, runtime=0.5',
      'w1@h [2026-11-22 05:55:04] heartbeat: active=0, eta=None, freq=2, sw_ident=py-celery',
    ]);
  });
});
