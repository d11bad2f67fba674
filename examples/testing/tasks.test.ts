/**
 * The shop app's own tests, as a user writes them with `@cq/celery/testing` (Celery's
 * `celery.contrib.testing`): the app of tasks.ts moved onto the in-process memory broker and result
 * backend, one real worker started for the file (Celery's `celery_worker` fixture), tasks sent with
 * `delay` and read with `get`, the worker stopped at the end. The testing overhead (start with its
 * `celery.ping` check, and stop) is measured and printed, not asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, useMemoryBroker, type TestWorker } from '@cq/celery/testing';
import { app, quote, reserve, stock } from './tasks.js';

let worker: TestWorker | undefined;
let startMs = 0;

beforeAll(async () => {
  useMemoryBroker(app); // before anything is sent: memory://… and cache+memory://… instead of Redis
  const t0 = performance.now();
  // solo pool, resolved once celery.ping came back; 'critical' keeps the expected OutOfStock traceback out of the output
  worker = await startWorker(app, { loglevel: 'critical' });
  startMs = performance.now() - t0;
});

afterAll(async () => {
  const t0 = performance.now();
  await worker?.stop(); // warm shutdown; cold after shutdownTimeout (10 s)
  const stopMs = performance.now() - t0;
  await app.close();
  console.log(`testing overhead: start + ping ${startMs.toFixed(1)} ms, stop ${stopMs.toFixed(1)} ms, total ${(startMs + stopMs).toFixed(1)} ms`);
});

describe('shop tasks on an in-process worker', () => {
  it('quotes a basket, with the discount from 100.00', async () => {
    const small = await quote.delay([{ sku: 'apple', qty: 3, price: 50 }]);
    const large = await quote.delay([{ sku: 'pear', qty: 40, price: 300 }]);
    expect(await small.get({ timeout: 5 })).toBe(150);
    expect(await large.get({ timeout: 5 })).toBe(10_800);
  });

  it('reserves stock on the worker, and a failing task raises its error in the caller', async () => {
    expect(await (await reserve.delay('apple', 4)).get({ timeout: 5 })).toBe(6);
    expect(stock.get('apple')).toBe(6); // same process: the worker changed this module's map

    const tooMany = await reserve.delay('pear', 5);
    await expect(tooMany.get({ timeout: 5 })).rejects.toMatchObject({ name: 'OutOfStock', message: 'pear: 5 asked, 2 in stock' });
    expect(await tooMany.state()).toBe('FAILURE');
    expect(stock.get('pear')).toBe(2);
  });
});
