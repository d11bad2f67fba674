import { describe, expect, it } from 'vitest';
import { deferred } from './deferred.js';
import { VineTimeoutError } from './errors.js';
import { sleep, withTimeout } from './timers.js';

describe('deferred', () => {
  it('exposes resolve and reject of a native promise', async () => {
    const d = deferred<number>();
    d.resolve(3);
    d.resolve(4);
    expect(await d.promise).toBe(3);
    const e = deferred<number>();
    e.reject(new Error('no'));
    await expect(e.promise).rejects.toThrow('no');
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const start = Date.now();
    await sleep(20);
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
  });

  it('rejects with the abort reason when aborted', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('rejects at once on an already-aborted signal with an AbortError', async () => {
    await expect(sleep(10, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('withTimeout', () => {
  it('passes through a value that arrives in time', async () => {
    expect(await withTimeout(Promise.resolve('ok'), 1000)).toBe('ok');
  });

  it('passes through a rejection that arrives in time', async () => {
    await expect(withTimeout(Promise.reject(new Error('early')), 1000)).rejects.toThrow('early');
  });

  it('rejects with VineTimeoutError when the time passes', async () => {
    const never = new Promise<number>(() => {});
    const error = await withTimeout(never, 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VineTimeoutError);
    expect(error).toMatchObject({ code: 'CQ_VINE_TIMEOUT', ms: 10 });
  });

  it('uses onTimeout for the result, or its thrown error', async () => {
    const never = new Promise<number>(() => {});
    expect(await withTimeout(never, 5, () => -1)).toBe(-1);
    await expect(
      withTimeout(never, 5, () => {
        throw new Error('custom');
      }),
    ).rejects.toThrow('custom');
  });

  it('does not call onTimeout once the promise has settled', async () => {
    let called = false;
    expect(await withTimeout(sleep(1).then(() => 1), 50, () => ((called = true), 0))).toBe(1);
    await sleep(80);
    expect(called).toBe(false);
  });
});
