import { describe, expect, it } from 'vitest';
import { Thenable, isThenable } from './thenable.js';

describe('Thenable', () => {
  it('runs callbacks synchronously, in registration order, when resolved', () => {
    const p = new Thenable<number>();
    const seen: string[] = [];
    p.then((v) => seen.push(`a${v}`));
    p.then((v) => seen.push(`b${v}`));
    expect(p.ready).toBe(false);
    p.resolve(1);
    expect(seen).toEqual(['a1', 'b1']);
    expect(p.ready).toBe(true);
    expect(p.failed).toBe(false);
    expect(p.value).toBe(1);
  });

  it('runs a callback registered after settling immediately', () => {
    const p = new Thenable<string>();
    p.resolve('x');
    let got: string | undefined;
    p.then((v) => (got = v));
    expect(got).toBe('x');
  });

  it('keeps order for callbacks registered while callbacks are running', () => {
    const p = new Thenable<number>();
    const seen: string[] = [];
    p.then(() => {
      seen.push('a');
      p.then(() => seen.push('c'));
    });
    p.then(() => seen.push('b'));
    p.resolve(0);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('wraps a function: resolve(arg) fulfils with fn(arg)', () => {
    const p = new Thenable((n: number) => n * 2);
    p.resolve(21);
    expect(p.value).toBe(42);
  });

  it('rejects when the wrapped function throws', () => {
    const boom = new Error('boom');
    const p = new Thenable((_: void): number => {
      throw boom;
    });
    const errors: unknown[] = [];
    p.then(undefined, (e) => errors.push(e));
    p.resolve(undefined);
    expect(p.failed).toBe(true);
    expect(p.reason).toBe(boom);
    expect(errors).toEqual([boom]);
  });

  it('settles once; later resolve/reject are ignored', () => {
    const p = new Thenable<number>();
    p.resolve(1);
    p.resolve(2);
    p.reject(new Error('late'));
    expect(p.value).toBe(1);
    expect(p.failed).toBe(false);
  });

  it('chains like Promise.then: results, thrown errors and pass-through', () => {
    const p = new Thenable<number>();
    const doubled = p.then((v) => v * 2);
    const failed = p.then(() => {
      throw new Error('cb failed');
    });
    const recovered = failed.then(undefined, (e) => `recovered: ${(e as Error).message}`);
    p.resolve(5);
    expect(doubled.value).toBe(10);
    expect(failed.failed).toBe(true);
    expect(recovered.value).toBe('recovered: cb failed');

    const q = new Thenable<number>();
    const passed = q.then((v) => v + 1);
    q.reject('nope');
    expect(passed.failed).toBe(true);
    expect(passed.reason).toBe('nope');
  });

  it('adopts a returned thenable or promise', async () => {
    const inner = new Thenable<string>();
    const p = new Thenable<string>();
    const chained = p.then(() => inner);
    p.resolve('outer');
    expect(chained.ready).toBe(false);
    inner.resolve('inner');
    expect(chained.value).toBe('inner');

    const fromPromise = new Thenable((n: number) => Promise.resolve(n + 1));
    fromPromise.resolve(1);
    expect(fromPromise.ready).toBe(false);
    expect(await fromPromise).toBe(2);
  });

  it('is awaitable, for fulfilment and rejection', async () => {
    const ok = new Thenable<number>();
    setTimeout(() => ok.resolve(7), 1);
    await expect(ok).resolves.toBe(7);

    const bad = new Thenable<number>();
    setTimeout(() => bad.reject(new Error('bad')), 1);
    await expect(Promise.resolve(bad)).rejects.toThrow('bad');
  });

  it('cancel drops pending callbacks and ignores later settles', () => {
    const p = new Thenable<number>();
    const seen: number[] = [];
    const child = p.then((v) => seen.push(v));
    p.cancel();
    p.resolve(1);
    expect(seen).toEqual([]);
    expect(p.ready).toBe(false);
    expect(p.cancelled).toBe(true);
    expect(child.cancelled).toBe(true);
    expect(p.then(() => seen.push(2)).cancelled).toBe(true);
    expect(seen).toEqual([]);
  });

  it('stops running remaining callbacks when one cancels', () => {
    const p = new Thenable<number>();
    const seen: string[] = [];
    const first = p.then(() => {
      seen.push('a');
      p.cancel();
    });
    const second = p.then(() => seen.push('b'));
    p.resolve(1);
    expect(seen).toEqual(['a']);
    expect(first.cancelled).toBe(false);
    expect(second.cancelled).toBe(true);
  });

  it('catch handles rejection only', () => {
    const p = new Thenable<number>();
    const c = p.catch(() => -1);
    p.reject(new Error('x'));
    expect(c.value).toBe(-1);
  });
});

describe('isThenable', () => {
  it('recognises objects and functions with a then method', () => {
    expect(isThenable(Promise.resolve())).toBe(true);
    expect(isThenable(new Thenable())).toBe(true);
    expect(isThenable({ then() {} })).toBe(true);
    expect(isThenable(Object.assign(() => {}, { then() {} }))).toBe(true);
    expect(isThenable({ then: 1 })).toBe(false);
    expect(isThenable(null)).toBe(false);
    expect(isThenable(3)).toBe(false);
  });
});
