import { describe, expect, it } from 'vitest';
import { Blueprint, StartStopStep, Step, orderSteps, type StepClass } from './bootsteps.js';
import { BootstepCycleError, BootstepError } from './errors.js';

/** A parent that records what the steps did. */
interface Parent { events: string[]; fail?: string }

function step(label: string, requires: StepClass[] = [], options: { last?: boolean; include?: boolean } = {}): StepClass<Parent> {
  const cls = class extends Step<Parent> {
    static override readonly label = label;
    static override readonly requires = requires;
    static override readonly last = options.last ?? false;
    override includeIf(): boolean { return options.include ?? true; }
    override create(p: Parent) { p.events.push(`create ${label}`); }
    override start(p: Parent) {
      if (p.fail === label) throw new Error(`${label} failed`);
      p.events.push(`start ${label}`);
    }
    override stop(p: Parent) { p.events.push(`stop ${label}`); }
    override terminate(p: Parent) { p.events.push(`terminate ${label}`); }
    override shutdown(p: Parent) { p.events.push(`shutdown ${label}`); }
    override info() { return { label }; }
  };
  return cls;
}

const names = (classes: readonly StepClass[]) => classes.map((c) => c.label);

describe('orderSteps', () => {
  it('puts each step after the steps it requires and keeps the given order otherwise', () => {
    const Connection = step('Connection');
    const Events = step('Events', [Connection]);
    const Tasks = step('Tasks', [Events]);
    const Heart = step('Heart', [Events]);
    expect(names(orderSteps('t', [Tasks, Heart, Events, Connection]))).toEqual(['Connection', 'Events', 'Tasks', 'Heart']);
    expect(names(orderSteps('t', [Heart, Connection, Tasks]))).toEqual(['Connection', 'Events', 'Heart', 'Tasks']);
  });

  it('adds required steps that were not listed, as Celery loads them', () => {
    const A = step('A');
    const B = step('B', [A]);
    expect(names(orderSteps('t', [B]))).toEqual(['A', 'B']);
  });

  it('starts a `last` step after every other step, unless another requires it', () => {
    const Consumer = step('Consumer', [], { last: true });
    const Pool = step('Pool');
    const Timer = step('Timer');
    const After = step('After', [Consumer]);
    expect(names(orderSteps('t', [Consumer, Pool, Timer]))).toEqual(['Pool', 'Timer', 'Consumer']);
    expect(names(orderSteps('t', [After, Consumer, Pool]))).toEqual(['Pool', 'Consumer', 'After']);
  });

  it('throws BootstepCycleError naming the steps around a cycle', () => {
    const reqs: StepClass[] = [];
    const A = step('A', reqs);
    const B = step('B', [A]);
    const C = step('C', [B]);
    reqs.push(C);
    const D = step('D');
    const err = (() => { try { orderSteps('Worker', [D, A]); } catch (e) { return e; } })() as BootstepCycleError;
    expect(err).toBeInstanceOf(BootstepCycleError);
    expect(err.code).toBe('CQ_WORKER_BOOTSTEP_CYCLE');
    expect(err.cycle).toEqual(['A', 'C', 'B', 'A']);
    expect(err.message).toBe('blueprint Worker: bootsteps require each other in a cycle: A -> C -> B -> A');
    const selfReq: StepClass[] = [];
    const S = step('S', selfReq);
    selfReq.push(S);
    expect(() => orderSteps('t', [S])).toThrow(/S -> S/);
  });
});

describe('Blueprint', () => {
  it('creates, starts in order, stops in reverse, then shuts down in reverse', async () => {
    const A = step('A');
    const B = step('B', [A]);
    const C = step('C', [B]);
    const p: Parent = { events: [] };
    const bp = new Blueprint<Parent>('T', [C, A, B]).apply(p);
    await bp.start(p);
    expect(bp.state).toBe('running');
    await bp.stop(p);
    await bp.shutdown(p);
    expect(bp.state).toBe('stopped');
    expect(p.events).toEqual([
      'create A', 'create B', 'create C', 'start A', 'start B', 'start C',
      'stop C', 'stop B', 'stop A', 'shutdown C', 'shutdown B', 'shutdown A',
    ]);
    expect(bp.info(p)).toEqual({ A: { label: 'A' }, B: { label: 'B' }, C: { label: 'C' } });
  });

  it('calls terminate instead of stop for a cold stop', async () => {
    const A = step('A');
    const B = step('B', [A]);
    const p: Parent = { events: [] };
    const bp = new Blueprint<Parent>('T', [A, B]).apply(p);
    await bp.start(p);
    await bp.stop(p, { terminate: true });
    expect(p.events.slice(-2)).toEqual(['terminate B', 'terminate A']);
  });

  it('leaves out a step whose includeIf is false: not created, not started', async () => {
    const A = step('A');
    const Off = step('Off', [A], { include: false });
    const p: Parent = { events: [] };
    const bp = new Blueprint<Parent>('T', [A, Off]).apply(p);
    await bp.start(p);
    expect(bp.order.map((s) => s.name)).toEqual(['A', 'Off']);
    expect(bp.steps.map((s) => s.name)).toEqual(['A']);
    expect(p.events).toEqual(['create A', 'start A']);
  });

  it('adds extra steps given after the defaults, ordered by their requirements', async () => {
    const Pool = step('Pool');
    const Consumer = step('Consumer', [Pool], { last: true });
    const Mine = step('Mine', [Pool]);
    const p: Parent = { events: [] };
    const bp = new Blueprint<Parent>('Worker', [Pool, Consumer], new Set([Mine])).apply(p);
    expect(bp.steps.map((s) => s.name)).toEqual(['Pool', 'Mine', 'Consumer']);
  });

  it('terminates the started steps in reverse when one fails to start, and rethrows', async () => {
    const A = step('A');
    const B = step('B', [A]);
    const C = step('C', [B]);
    const p: Parent = { events: [], fail: 'C' };
    const bp = new Blueprint<Parent>('T', [A, B, C]).apply(p);
    await expect(bp.start(p)).rejects.toThrow('C failed');
    expect(p.events.slice(5)).toEqual(['terminate C', 'terminate B', 'terminate A', 'shutdown C', 'shutdown B', 'shutdown A']);
  });

  it('stops every step even when one throws, then rethrows the first error', async () => {
    const A = step('A');
    const Bad = class extends Step<Parent> {
      static override readonly requires = [A];
      override stop(): void { throw new Error('stop failed'); }
    };
    const p: Parent = { events: [] };
    const bp = new Blueprint<Parent>('T', [A, Bad]).apply(p);
    await bp.start(p);
    await expect(bp.stop(p)).rejects.toThrow('stop failed');
    expect(p.events).toContain('stop A');
  });

  it('refuses values that are not Step classes, naming them', () => {
    expect(() => new Blueprint('Worker', [], [class NotAStep {}])).toThrow(BootstepError);
    expect(() => new Blueprint('Worker', [], ['Pool'])).toThrow('blueprint Worker: "Pool" is not a Step class');
  });

  it('StartStopStep forwards start/stop/terminate/shutdown to the object create() returns', async () => {
    const calls: string[] = [];
    class Svc extends StartStopStep<Parent> {
      override create() {
        return { start: () => calls.push('start'), stop: () => calls.push('stop'), shutdown: () => calls.push('shutdown') };
      }
    }
    const p: Parent = { events: [] };
    const bp = new Blueprint<Parent>('T', [Svc]).apply(p);
    expect(bp.find(Svc)?.obj).not.toBeNull();
    expect(bp.find(Svc)?.name).toBe('Svc');
    await bp.start(p);
    await bp.stop(p, { terminate: true });
    await bp.shutdown(p);
    expect(calls).toEqual(['start', 'stop', 'shutdown']);
  });
});
