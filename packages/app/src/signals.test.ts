import { afterEach, describe, expect, it } from 'vitest';
import { Signal, task_prerun, worker_process_init, worker_process_shutdown } from './signals.js';

const original = Signal.reportError;
afterEach(() => {
  Signal.reportError = original;
});

describe('Signal', () => {
  it('calls receivers in connection order with the arguments, the sender and the signal', () => {
    const sig = new Signal<{ x: number }, string>('test_signal');
    const seen: string[] = [];
    sig.connect(({ x, sender, signal }) => { seen.push(`a ${x} ${sender} ${signal.name}`); return 1; });
    sig.connect(({ x }) => { seen.push(`b ${x}`); return 2; });
    const responses = sig.send('me', { x: 7 });
    expect(seen).toEqual(['a 7 me test_signal', 'b 7']);
    expect(responses.map((r) => r.result)).toEqual([1, 2]);
  });

  it('filters by sender identity when connected with `sender`', () => {
    const sig = new Signal<{ n: number }, object>('s');
    const a = {};
    const b = {};
    const got: number[] = [];
    sig.connect(({ n }) => void got.push(n), { sender: a });
    sig.send(a, { n: 1 });
    sig.send(b, { n: 2 });
    expect(got).toEqual([1]);
  });

  it('connects a receiver once per sender or dispatchUid; disconnect and the returned function remove it', () => {
    const sig = new Signal<{ n: number }, string>('s');
    const got: string[] = [];
    const r = ({ n, sender }: { n: number; sender: string }) => void got.push(`${sender}${n}`);
    const off = sig.connect(r);
    sig.connect(r);
    sig.connect(r, { sender: 'x' });
    sig.connect(() => void got.push('uid1'), { dispatchUid: 'u' });
    sig.connect(() => void got.push('uid2'), { dispatchUid: 'u' });
    expect(sig.receivers).toBe(3);
    sig.send('x', { n: 1 });
    expect(got).toEqual(['x1', 'x1', 'uid1']);
    off();
    expect(sig.disconnect(null, { dispatchUid: 'u' })).toBe(true);
    expect(sig.disconnect(r)).toBe(false);
    expect(sig.receivers).toBe(1);
    expect(sig.disconnect(r, { sender: 'x' })).toBe(true);
    expect(sig.receivers).toBe(0);
  });

  it('keeps calling receivers after one throws, returns the error in its response and reports it', () => {
    const reported: string[] = [];
    Signal.reportError = (signal, receiver, error) => void reported.push(`${signal.name}:${receiver.name}:${(error as Error).message}`);
    const sig = new Signal<{ n: number }>('robust');
    function broken(): never { throw new Error('boom'); }
    sig.connect(broken);
    sig.connect(({ n }) => n * 2);
    const responses = sig.send(null, { n: 4 });
    expect((responses[0]!.error as Error).message).toBe('boom');
    expect(responses[1]!.result).toBe(8);
    expect(reported).toEqual(['robust:broken:boom']);
  });

  it('send does not wait for async receivers but reports their rejections; sendAsync waits', async () => {
    const reported: unknown[] = [];
    Signal.reportError = (_s, _r, error) => void reported.push(error);
    const sig = new Signal<Record<never, never>>('async');
    let done = false;
    sig.connect(async () => { await new Promise((r) => setTimeout(r, 20)); done = true; return 'ok'; });
    sig.connect(async () => { throw new Error('later'); });
    sig.send(null, {});
    expect(done).toBe(false);
    const responses = await sig.sendAsync(null, {});
    expect(done).toBe(true);
    expect(responses[0]!.result).toBe('ok');
    expect((responses[1]!.error as Error).message).toBe('later');
    expect(reported).toHaveLength(2);
  });

  it('a reporter that throws does not reach the sender', () => {
    Signal.reportError = () => { throw new Error('reporter down'); };
    const sig = new Signal<Record<never, never>>('s');
    sig.connect(() => { throw new Error('x'); });
    expect(() => sig.send(null, {})).not.toThrow();
  });

  it('defines the Celery signals by their Celery names, including the pool-process ones', () => {
    expect(task_prerun.name).toBe('task_prerun');
    expect(worker_process_init.name).toBe('worker_process_init');
    const got: Array<[number, number]> = [];
    const off = worker_process_shutdown.connect(({ pid, exitcode }) => void got.push([pid, exitcode]));
    worker_process_shutdown.send(null, { pid: 42, exitcode: 0 });
    off();
    expect(got).toEqual([[42, 0]]);
  });
});
