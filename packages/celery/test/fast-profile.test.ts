/**
 * `fastProfile` (Celery's "Optimizing" settings as one object): every key is a setting Celery or cq
 * knows, and an app configured with it sends transient messages (delivery_mode 1) and stores no result
 * — a real worker on the in-process broker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { before_task_publish, isKnownSetting } from '@cq/app';
import { fastProfile } from '../src/index.js';
import { startWorker, testApp } from '../src/testing/index.js';

const closing: Array<() => Promise<void>> = [];
afterAll(async () => { for (const close of closing.splice(0)) await close(); });

describe('fastProfile', () => {
  it('names only known settings', () => {
    expect(Object.keys(fastProfile).length).toBeGreaterThan(0);
    for (const key of Object.keys(fastProfile)) expect(isKnownSetting(key), key).toBe(true);
  });

  it('sends transient messages and stores no result', async () => {
    const app = testApp('fast', { ...fastProfile });
    closing.push(() => app.close());
    const sent: unknown[] = [];
    const offPublish = before_task_publish.connect(({ properties }) => { sent.push(properties['delivery_mode']); }, { sender: 'fast.add' });
    closing.push(async () => { offPublish(); });
    let ran: (n: number) => void = () => undefined;
    const done = new Promise<number>((resolve) => { ran = resolve; });
    const add = app.task('fast.add', (x: number, y: number) => {
      ran(x + y);
      return x + y;
    });
    const worker = await startWorker(app, { performPingCheck: false });
    closing.unshift(() => worker.stop());
    const result = await add.delay(2, 3);
    expect(await done).toBe(5);
    expect(sent).toEqual([1]);
    // Nothing is stored: the result stays PENDING after the task ran.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const backend = await app.backend();
    expect((await backend!.getTaskMeta(result.id)).status).toBe('PENDING');
  });
});
