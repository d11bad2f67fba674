/**
 * The transport's deduplicator (enqueue-time deduplication, rows of `cq_deduplication`): the shared
 * conformance suite over several connections to one broker file, and the row it writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, isDeduplicatorProvider } from '@cq/kombu';
import { describeDeduplicator } from '@cq/kombu/testing';
import { transport } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cq-sqlite-dedup-'));
const file = join(dir, 'broker.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open() {
  const conn = await new Connection(`sqlite:///${file}`, { transport }).connect();
  const t = conn.transport;
  if (!isDeduplicatorProvider(t)) throw new Error('the sqlite transport should offer deduplicator()');
  return { deduplicator: t.deduplicator(), close: () => conn.close() };
}

describeDeduplicator('sqlite transport', open);

describe('sqlite transport deduplicator', () => {
  it('keeps one row per key in cq_deduplication of the broker file, with its expiry in ms', async () => {
    const { deduplicator, close } = await open();
    const before = Date.now();
    try {
      expect(await deduplicator.claim('proj.add\u001fk', { taskId: 't1', stamp: 's1' }, 5000, false)).toBeNull();
      const db = new Database(file, { readonly: true });
      try {
        const row = db.prepare('SELECT task_id, stamp, expires_at FROM cq_deduplication WHERE key = ?').get('proj.add\u001fk') as { task_id: string; stamp: string; expires_at: number };
        expect(row).toMatchObject({ task_id: 't1', stamp: 's1' });
        expect(row.expires_at).toBeGreaterThanOrEqual(before + 5000);
        expect(row.expires_at).toBeLessThanOrEqual(Date.now() + 5000);
      } finally {
        db.close();
      }
      expect(await deduplicator.remove('proj.add\u001fk')).toBe(true);
    } finally {
      await close();
    }
  });
});
