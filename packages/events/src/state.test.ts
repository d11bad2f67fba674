import { describe, expect, it } from 'vitest';
import type { CeleryEvent } from './event.js';
import { State } from './state.js';

const now = 1_800_000_000;
function ev(type: string, fields: Record<string, unknown> = {}, at = now): CeleryEvent {
  return { type, hostname: 'w1@host', timestamp: at, local_received: at, utcoffset: 0, pid: 42, clock: 1, ...fields };
}

describe('State: workers', () => {
  it('keeps a worker alive for freq × 2 after its last heartbeat', () => {
    const state = new State();
    state.event(ev('worker-online', { freq: 2.0, active: 0, processed: 0, sw_ident: 'py-celery' }));
    const w = state.workers.get('w1@host')!;
    expect(w.pid).toBe(42);
    expect(w.sw_ident).toBe('py-celery');
    expect(w.alive(now + 3.9)).toBe(true);
    expect(w.alive(now + 4.1)).toBe(false);
    state.event(ev('worker-heartbeat', { freq: 2.0, active: 1, processed: 7 }, now + 4));
    expect(w.alive(now + 7)).toBe(true);
    expect(w.processed).toBe(7);
    expect(w.statusString(now + 9)).toBe('OFFLINE');
    expect(state.aliveWorkers(now + 5).map((x) => x.hostname)).toEqual(['w1@host']);
  });

  it('keeps the last 4 heartbeats in order', () => {
    const state = new State();
    for (const t of [1, 3, 2, 5, 4, 6]) state.event(ev('worker-heartbeat', { freq: 2 }, now + t));
    expect(state.workers.get('w1@host')!.heartbeats).toEqual([now + 3, now + 4, now + 5, now + 6]);
  });

  it('drops a worker on worker-offline and reports join/leave', () => {
    const joined: string[] = [];
    const left: string[] = [];
    const state = new State({ onNodeJoin: (w) => joined.push(w.hostname), onNodeLeave: (w) => left.push(w.hostname) });
    state.event(ev('worker-online', { freq: 2 }));
    state.event(ev('worker-offline', { freq: 2 }));
    expect(state.workers.size).toBe(0);
    expect(joined).toEqual(['w1@host']);
    expect(left).toEqual(['w1@host']);
  });
});

describe('State: tasks', () => {
  it('follows a task through received, started, succeeded', () => {
    const state = new State();
    state.event(ev('task-received', { uuid: 't1', name: 'proj.add', args: '(2, 3)', kwargs: '{}', retries: 0, clock: 2 }));
    state.event(ev('task-started', { uuid: 't1', clock: 3 }, now + 1));
    state.event(ev('task-succeeded', { uuid: 't1', result: '5', runtime: 0.01, clock: 4 }, now + 2));
    const t = state.tasks.get('t1')!;
    expect(t.state).toBe('SUCCESS');
    expect(t.name).toBe('proj.add');
    expect(t.args).toBe('(2, 3)');
    expect(t.result).toBe('5');
    expect(t.received).toBe(now);
    expect(t.succeeded).toBe(now + 2);
    expect(t.worker?.hostname).toBe('w1@host');
    expect(t.ready).toBe(true);
    expect(state.taskCount).toBe(1);
    expect(state.taskTypes()).toEqual(['proj.add']);
  });

  it('merges an out-of-order received without going back in state', () => {
    const state = new State();
    state.event(ev('task-failed', { uuid: 't2', exception: "ValueError('x')", clock: 5 }));
    state.event(ev('task-received', { uuid: 't2', name: 'proj.fail', args: '()', clock: 2 }));
    const t = state.tasks.get('t2')!;
    expect(t.state).toBe('FAILURE');
    expect(t.name).toBe('proj.fail');
    expect(t.exception).toBe("ValueError('x')");
  });

  it('records the client of task-sent and orders tasks by clock', () => {
    const state = new State();
    state.event(ev('task-sent', { uuid: 'a', name: 'n', hostname: 'gen1@c', clock: 1 }));
    state.event(ev('task-sent', { uuid: 'b', name: 'n', hostname: 'gen1@c', clock: 2 }));
    expect(state.tasks.get('a')!.client).toBe('gen1@c');
    expect(state.tasks.get('a')!.state).toBe('PENDING');
    expect(state.tasksByTime().map((t) => t.uuid)).toEqual(['b', 'a']);
    expect(state.tasksByTime({ reverse: false, limit: 1 }).map((t) => t.uuid)).toEqual(['a']);
  });

  it('bounds the tasks kept in memory', () => {
    const state = new State({ maxTasksInMemory: 3 });
    for (let i = 0; i < 5; i++) state.event(ev('task-received', { uuid: `t${i}`, name: 'n' }));
    expect([...state.tasks.keys()]).toEqual(['t2', 't3', 't4']);
  });
});
