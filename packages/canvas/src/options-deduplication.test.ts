/**
 * Enqueue-time deduplication options on signatures (@cq/app `deduplication.ts`): kept in the options
 * dict under snake_case names, and honoured by `sig.applyAsync` (over the in-process memory broker,
 * whose deduplicator is this process's).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, getDeduplicationTaskId } from '@cq/app';
import { toApplyOptions } from './options.js';
import { signature } from './signature.js';

const app = new Celery('canvas-dedup', { broker_url: `memory://canvas-dedup-${randomUUID().slice(0, 8)}` });
const add = app.task('tasks.add', (x: number, y: number) => x + y);
afterAll(() => app.close());

describe('signature deduplication options', () => {
  it('keeps them as deduplication_id / _ttl / _mode and converts them back for sending', () => {
    const sig = signature(add, [1]).set({ deduplicationId: 'k', deduplicationTtl: 5, deduplicationMode: 'throttle' });
    expect(sig.options).toEqual({ deduplication_id: 'k', deduplication_ttl: 5, deduplication_mode: 'throttle' });
    expect(toApplyOptions(sig.options)).toEqual({ deduplicationId: 'k', deduplicationTtl: 5, deduplicationMode: 'throttle' });
  });

  it('sends one task for two applyAsync calls with one id, set on the signature or given to the call', async () => {
    const first = await signature(add, [1, 2]).set({ deduplicationId: 'sum' }).applyAsync();
    const second = await signature(add, [3, 4]).applyAsync([], { deduplicationId: 'sum' });
    expect(second.id).toBe(first.id);
    expect(await getDeduplicationTaskId(app, 'tasks.add', 'sum')).toBe(first.id);
  });
});
