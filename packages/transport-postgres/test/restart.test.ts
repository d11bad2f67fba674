/**
 * PostgreSQL crashed (immediate shutdown: no checkpoint, WAL replay on start) and started again under
 * a running `cq worker` and a publishing client, on a private cluster this test creates and removes:
 * every task whose publish resolved runs (duplicates allowed: acks_late; publishes retry through the
 * outage), the worker stays up and
 * keeps consuming after the restart, and shuts down cleanly afterwards.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cq, exited, stopTracked, waitFor } from '@cq/tooling/testing';
import { app, slow } from './fixtures/app.js';
import { PrivatePostgres } from './private-postgres.js';

const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const backend = 'redis://127.0.0.1:6379/9';
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-pg-restart-'));
let server: PrivatePostgres;

beforeAll(async () => { server = await PrivatePostgres.start(); }, 90_000);
afterAll(async () => {
  await app.close().catch(() => undefined);
  await server?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL restarted under a worker and a publisher', () => {
  it('loses nothing that was acknowledged to the publisher', async () => {
    await server.admin('CREATE DATABASE cq_restart');
    const broker = `postgresql://${server.address.replace(/\/postgres$/, '/cq_restart')}`;
    app.configure({ brokerUrl: broker, resultBackend: backend });
    // Retry publishes through the outage (Celery's default policy gives up after ~0.6 s).
    app.conf.task_publish_retry_policy = { max_retries: 60, interval_start: 0, interval_step: 0.25, interval_max: 0.5 };
    const queue = 'pgt.restart';
    const log = path.join(dir, 'runs.log');
    const runs = (): number[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : []);
    const worker = cq(['worker', '-A', fixture, '-b', broker, '--result-backend', backend, '-P', 'async', '-Q', queue, '-c', '8', '-l', 'info',
      '--without-mingle', '--without-gossip'], { CQ_TEST_LOG: log });
    try {
      await waitFor(() => worker.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${worker.err.join('')}`);
      const total = 1500;
      const acknowledged: number[] = [];
      const failed: string[] = [];
      let restartBegan = 0;
      let restartEnded = 0;
      let ranBeforeRestart = 0;
      // Set inside the lanes; a holder, so the compiler does not narrow it to its initial null.
      const restarting: { done: Promise<void> | null } = { done: null };
      const started = Date.now();
      const lane = async (first: number) => {
        for (let n = first; n < total; n += 4) {
          const due = started + (n * 6000) / total; // faster than the worker drains: a backlog waits in the table
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          if (restarting.done === null && n >= total / 3) {
            ranBeforeRestart = runs().length;
            restartBegan = Date.now();
            restarting.done = server.crashAndRestart().then(() => { restartEnded = Date.now(); });
          }
          try {
            await slow.applyAsync([n, 20], { queue });
            acknowledged.push(n);
          } catch (err) {
            failed.push(`${n}: ${String(err)}`);
          }
        }
      };
      await Promise.all([0, 1, 2, 3].map(lane));
      await restarting.done;
      const ranAtRestartEnd = runs().length;
      await waitFor(() => acknowledged.every((n) => runs().includes(n)), 60_000, () => {
        const ran = new Set(runs());
        return `${acknowledged.filter((n) => !ran.has(n)).length} acknowledged tasks never ran:\n${worker.err.join('').slice(-3000)}`;
      });
      const all = runs();
      console.log(`restart: ${acknowledged.length}/${total} publishes acknowledged (${failed.length} failed while down), `
        + `${new Set(all).size} distinct ran in ${all.length} executions; restart took ${restartEnded - restartBegan} ms; ${ranBeforeRestart} ran before it`);
      expect(ranBeforeRestart).toBeGreaterThan(0);
      expect(all.length).toBeGreaterThan(ranAtRestartEnd); // the worker kept consuming after the restart
      expect(acknowledged.length, failed.slice(0, 5).join('\n')).toBe(total); // the retry policy outlasts the restart
      expect(worker.exitCode).toBeNull();
      worker.kill('SIGTERM');
      const timer = setTimeout(() => worker.kill('SIGKILL'), 15_000);
      expect(await exited(worker)).toBe(0);
      clearTimeout(timer);
    } finally {
      await stopTracked(worker);
    }
  }, 120_000);
});
