/**
 * The transport's deduplicator (enqueue-time deduplication, @cq/redis `RedisDeduplicator`): the
 * shared conformance suite over connections to db 10, plus where the records live (behind
 * `global_keyprefix`, with Redis's own TTL).
 */
import { describe, expect, it } from 'vitest';
import { Connection, isDeduplicatorProvider } from '@cq/kombu';
import { describeDeduplicator } from '@cq/kombu/testing';
import { transport } from '../src/index.js';
import { TEST_URL, rawClient, uniq } from './helpers.js';

async function open(transportOptions: Record<string, unknown> = {}) {
  const conn = await new Connection(TEST_URL, { transport, transportOptions }).connect();
  const t = conn.transport;
  if (!isDeduplicatorProvider(t)) throw new Error('the redis transport should offer deduplicator()');
  return { deduplicator: t.deduplicator(), close: () => conn.close() };
}

describeDeduplicator('redis transport', () => open());

describe('redis transport deduplicator', () => {
  it('keeps a record as the hash _cq.dedup.<key> behind global_keyprefix, expiring by Redis TTL', async () => {
    const prefix = `${uniq('cqt.dedup')}:`;
    const { deduplicator, close } = await open({ global_keyprefix: prefix });
    const raw = rawClient();
    try {
      expect(await deduplicator.claim('proj.add\u001fuser:1', { taskId: 't1', stamp: 's1' }, 5000, false)).toBeNull();
      const key = `${prefix}_cq.dedup.proj.add\u001fuser:1`;
      expect(await raw.hgetall(key)).toEqual({ task: 't1', stamp: 's1' });
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(4000);
      expect(ttl).toBeLessThanOrEqual(5000);
      expect(await deduplicator.release('proj.add\u001fuser:1', 't1')).toBe('released');
      expect(await raw.exists(key)).toBe(0);
    } finally {
      raw.disconnect();
      await close();
    }
  });
});
