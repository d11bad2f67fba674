/**
 * The transport's deduplicator (enqueue-time deduplication): the shared conformance suite over
 * several connections to one database, for cq's tables and kombu's (`kombu_deduplication`).
 */
import { describe, expect, it } from 'vitest';
import { isDeduplicatorProvider } from '@cq/kombu';
import { describeDeduplicator } from '@cq/kombu/testing';
import { connection, sqlClient, testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_dedup');

async function open(url: string) {
  const conn = await connection(url).connect();
  const t = conn.transport;
  if (!isDeduplicatorProvider(t)) throw new Error('the postgres transport should offer deduplicator()');
  return { deduplicator: t.deduplicator(), close: () => conn.close() };
}

describeDeduplicator('postgresql transport', () => open(`postgresql://${db}`));

describe('postgresql transport deduplicator', () => {
  it('creates its table on first use, kombu_deduplication for sqla+postgresql://, expiring by the server clock', async () => {
    const { deduplicator, close } = await open(`sqla+postgresql://${db}`);
    const sql = await sqlClient(`postgresql://${db}`);
    try {
      expect(await deduplicator.claim('proj.add\u001fk', { taskId: 't1', stamp: 's1' }, 5000, false)).toBeNull();
      const { rows } = await sql.query(`SELECT task_id, stamp, extract(epoch FROM expires_at - now()) AS left FROM kombu_deduplication WHERE key = $1`, ['proj.add\u001fk']);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ task_id: 't1', stamp: 's1' });
      expect(Number(rows[0].left)).toBeGreaterThan(4);
      expect(Number(rows[0].left)).toBeLessThanOrEqual(5);
      expect(await deduplicator.release('proj.add\u001fk', 't1', 's1')).toBe('released');
      expect((await sql.query('SELECT count(*)::int AS n FROM kombu_deduplication')).rows[0].n).toBe(0);
    } finally {
      await sql.end();
      await close();
    }
  });
});
