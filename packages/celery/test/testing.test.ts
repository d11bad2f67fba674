/**
 * @cq/celery/testing: `testApp` builds the app with the full preset, so canvas runs on the in-process
 * worker over the memory broker and backend; the rest is @cq/worker/testing's, re-exported.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chain, fullStack, group, signature, type Celery } from '@cq/celery';
import { PingCheckError, startWorker, testApp, type TestWorker } from '@cq/celery/testing';

const cleanup: Array<TestWorker | Celery> = [];

afterEach(async () => {
  for (const item of cleanup.splice(0).reverse()) await ('stop' in item ? item.stop() : item.close());
});

describe('@cq/celery/testing', () => {
  it('testApp has the full preset, and a chain and a group run on the started worker', async () => {
    const app = testApp('celery-testing');
    cleanup.push(app);
    expect(app.plugins).toEqual(fullStack().map((p) => p.name));
    expect(app.broker.url).toMatch(/^memory:\/\/cq-test-/);
    const add = app.task('ct.add', (x: number, y: number) => x + y);
    const mul = app.task('ct.mul', (x: number, y: number) => x * y);
    cleanup.push(await startWorker(app, { pool: 'async', concurrency: 4 }));
    const chained = await chain(signature(add, [2, 3]), signature(mul, [10])).applyAsync();
    const grouped = await group(...[1, 2, 3].map((i) => signature(add, [i, i]))).applyAsync();
    expect(await chained.get({ timeout: 5 })).toBe(50);
    expect(await grouped.get({ timeout: 5 })).toEqual([2, 4, 6]);
  });

  it('testApp keeps plugins it is given, and re-exports the typed errors', async () => {
    const app = testApp('celery-testing-bare', {}, { plugins: [] });
    cleanup.push(app);
    expect(app.plugins).toEqual([]);
    const error = await startWorker(app, { queues: ['nowhere'], pingTaskTimeout: 0.2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PingCheckError);
  });
});
