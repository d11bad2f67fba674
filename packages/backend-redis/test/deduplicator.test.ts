/**
 * The Redis result backend as a deduplication store (for brokers that keep none, such as AMQP): the
 * shared conformance suite over backends on db 11, and its records behind Celery's `global_keyprefix`.
 */
import { describe, expect, it } from 'vitest';
import { isDeduplicatorProvider } from '@cq/kombu';
import { describeDeduplicator } from '@cq/kombu/testing';
import { Redis } from 'ioredis';
import { RedisBackend } from '../src/index.js';

const URL = 'redis://127.0.0.1:6379/11';

function open(transportOptions: Record<string, unknown> = {}) {
  const backend = new RedisBackend({ url: URL, transportOptions });
  if (!isDeduplicatorProvider(backend)) throw new Error('the redis backend should offer deduplicator()');
  return { backend, deduplicator: backend.deduplicator(), close: () => backend.close() };
}

describeDeduplicator('redis result backend', async () => open());

describe('redis result backend deduplicator', () => {
  it('keeps records under <global_keyprefix>_cq.dedup.<key>', async () => {
    const { deduplicator, close } = open({ global_keyprefix: 'cqt-dedup' });
    const raw = new Redis({ host: '127.0.0.1', port: 6379, db: 11 });
    try {
      expect(await deduplicator.claim('k1', { taskId: 't1', stamp: 's1' }, 5000, false)).toBeNull();
      expect(await raw.hgetall('cqt-dedup__cq.dedup.k1')).toEqual({ task: 't1', stamp: 's1' });
      expect(await deduplicator.remove('k1')).toBe(true);
    } finally {
      raw.disconnect();
      await close();
    }
  });
});
