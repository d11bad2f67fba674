/**
 * `cq worker` processes over mongodb:// (kombu's collections): a round trip with args, kwargs and an
 * error (results in Redis), and a worker SIGKILLed mid-run with acks_late, whose leases are no longer
 * renewed and come back through the other worker's sweep once `visibility_timeout` (2 s here) passes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cq, stopTracked, waitFor, type CqProcess } from '@cq/tooling/testing';
import { add, app, record, refuse } from './fixtures/app.js';
import { testDatabase, withDb } from './helpers.js';

const broker = testDatabase('cq_tp_worker');
const results = 'redis://127.0.0.1:6379/9';
const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cq-mongo-worker-'));
app.configure({ brokerUrl: broker, resultBackend: results });
afterAll(async () => {
  await app.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A `cq worker` on `queue` (async pool), once it says it is ready. */
async function worker(queue: string, args: string[], env: Record<string, string> = {}): Promise<CqProcess> {
  const proc = cq(['worker', '-A', fixture, '-b', broker, '--result-backend', results, '-P', 'async', '-Q', queue, '-l', 'info',
    '--without-mingle', '--without-gossip', ...args], env);
  try {
    await waitFor(() => proc.err.join('').includes('ready.'), 30_000, () => `cq worker did not start:\n${proc.err.join('')}`);
  } catch (err) {
    await stopTracked(proc);
    throw err;
  }
  return proc;
}

/** Documents of `queue` left in `messages`, ready or leased. */
const left = (queue: string) => withDb(broker, (db) => db.collection('messages').countDocuments({ $or: [{ queue }, { 'lease.queue': queue }] }));

/** The run numbers `mgt.record` wrote to `file`, one per run. */
const recorded = (file: string): number[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []);

describe('cq workers over mongodb://', () => {
  it('run what a cq client sends, kwargs and errors included, and delete each acked message', async () => {
    const queue = 'mgt.roundtrip';
    const proc = await worker(queue, ['-c', '8']);
    try {
      const sum = await add.applyAsync([2, 3], { queue });
      const byKeyword = await app.sendTask('mgt.add', [40], { queue, kwargs: { y: 2 } });
      const refused = await refuse.applyAsync(['no'], { queue });
      expect([await sum.get({ timeout: 15 }), await byKeyword.get({ timeout: 15 })]).toEqual([5, 42]);
      await expect(refused.get({ timeout: 15 })).rejects.toMatchObject({ name: 'ValueError', message: expect.stringContaining('refused: no') });
      await waitFor(async () => (await left(queue)) === 0, 5000, () => 'acked messages are still stored');
    } finally {
      await stopTracked(proc);
    }
  });

  it('lose nothing when one is SIGKILLed mid-run with acks_late; at most its prefetch runs twice', async () => {
    const [queue, total, prefetch] = ['mgt.sigkill', 60, 4];
    const file = path.join(tmp, 'runs.log');
    await Promise.all(Array.from({ length: total }, (_, n) => record.applyAsync([n, 150], { queue })));
    const flags = ['-c', String(prefetch), '--prefetch-multiplier', '1']; // at most `prefetch` leases per worker
    const victim = await worker(queue, flags, { CQ_TEST_LOG: file });
    const survivor = await worker(queue, flags, { CQ_TEST_LOG: file });
    try {
      await waitFor(() => recorded(file).length >= total / 5, 30_000, () => 'too few runs before the kill');
      process.kill(-victim.pid!, 'SIGKILL');
      const done = async () => new Set(recorded(file)).size === total && (await left(queue)) === 0;
      await waitFor(done, 60_000, () => `${new Set(recorded(file)).size}/${total} recorded:\n${survivor.err.join('').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 500)); // a late duplicate would be recorded by now
      expect(new Set(recorded(file)).size).toBe(total);
      expect(recorded(file).length).toBeLessThanOrEqual(total + prefetch);
    } finally {
      await stopTracked(victim);
      await stopTracked(survivor);
    }
  });
});
