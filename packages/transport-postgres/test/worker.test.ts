/**
 * A cq client and `cq worker` processes over PostgreSQL (cq's tables), results in Redis: the round
 * trip with args, kwargs and errors; a countdown kept in the row (`visible_after`), not in the worker;
 * and a worker SIGKILLed mid-run with acks_late, whose leases come back to the other worker as soon as
 * its sweep sees the dead session gone from `pg_stat_activity`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cq, stopTracked, waitFor, type CqProcess } from '@cq/tooling/testing';
import { add, app, fail, slow, stamp } from './fixtures/app.js';
import { sqlClient, testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_worker');
const broker = `postgresql://${db}`;
const backend = 'redis://127.0.0.1:6379/9';
const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-pg-worker-'));
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});
app.configure({ brokerUrl: broker, resultBackend: backend });

async function startWorker(queue: string, extra: string[] = [], env: Record<string, string> = {}): Promise<CqProcess> {
  const worker = cq(['worker', '-A', fixture, '-b', broker, '--result-backend', backend, '-P', 'async', '-Q', queue, '-l', 'info',
    '--without-mingle', '--without-gossip', ...extra], env);
  await waitFor(() => worker.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${worker.err.join('')}${worker.out.join('')}`)
    .catch(async (err: unknown) => { await stopTracked(worker); throw err; });
  return worker;
}

describe('cq client → cq worker over postgresql://', () => {
  it('runs tasks with args and kwargs, carries errors back, and delays a countdown in the row', async () => {
    const queue = 'pgt.roundtrip';
    const worker = await startWorker(queue, ['-c', '8']);
    try {
      expect(await (await add.applyAsync([2, 3], { queue })).get({ timeout: 15 })).toBe(5);
      expect(await (await app.sendTask('pgt.greet', ['Hello'], { queue, kwargs: { name: 'pg', punctuation: '?' } })).get({ timeout: 15 })).toBe('Hello, pg?');
      const failure = await (await fail.applyAsync(['no'], { queue })).get({ timeout: 15 }).then(() => null, (err: unknown) => err as Error);
      expect(failure?.name).toBe('ValueError');
      expect(failure?.message).toContain('refused: no');

      const sent = Date.now();
      const delayed = await stamp.applyAsync([], { queue, countdown: 2 });
      const sql = await sqlClient(broker);
      try {
        const { rows } = await sql.query(`SELECT extract(epoch FROM visible_after) * 1000 AS due FROM cq_message m JOIN cq_queue q ON q.id = m.queue_id WHERE q.name = $1`, [queue]);
        expect(rows).toHaveLength(1);
        expect(Number(rows[0].due)).toBeGreaterThan(sent + 1500);
      } finally {
        await sql.end();
      }
      const ranAt = await delayed.get({ timeout: 15 });
      expect(ranAt - sent).toBeGreaterThanOrEqual(1900);
      expect(ranAt - sent).toBeLessThan(4000);
    } finally {
      await stopTracked(worker);
    }
  });

  it('loses nothing when a worker is SIGKILLed mid-run with acks_late: duplicates at most its in-flight count', async () => {
    const queue = 'pgt.kill';
    const log = path.join(dir, 'kill.log');
    const runs = (): number[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : []);
    const total = 80;
    for (let n = 0; n < total; n++) await slow.applyAsync([n, 150], { queue });
    // Prefetch = concurrency: at most 4 unacked messages in each worker at any time.
    const args = ['-c', '4', '--prefetch-multiplier', '1'];
    const victim = await startWorker(queue, args, { CQ_TEST_LOG: log });
    const survivor = await startWorker(queue, args, { CQ_TEST_LOG: log });
    try {
      await waitFor(() => runs().length >= 12, 30_000, () => `only ${runs().length} ran before the kill`);
      process.kill(-victim.pid!, 'SIGKILL');
      await waitFor(() => new Set(runs()).size === total, 60_000, () => `only ${new Set(runs()).size} of ${total} ran:\n${survivor.err.join('').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 500)); // any late duplicate would show up now
      const all = runs();
      expect(new Set(all).size).toBe(total);
      expect(all.length - total).toBeLessThanOrEqual(4);
      const sql = await sqlClient(broker);
      try {
        const { rows } = await sql.query(`SELECT count(*)::int AS n FROM cq_message m JOIN cq_queue q ON q.id = m.queue_id WHERE q.name = $1`, [queue]);
        expect(rows[0].n).toBe(0); // every message acked: deleted
      } finally {
        await sql.end();
      }
    } finally {
      await stopTracked(victim);
      await stopTracked(survivor);
    }
  });
});
