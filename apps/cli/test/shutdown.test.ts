/**
 * `cq worker` shutdown stages driven by POSIX signals (Celery 5.5 "Worker shutdown"), on the embedded
 * SQLite broker: a second SIGTERM escalates warm → cold, SIGQUIT goes through the soft stage when
 * `worker_soft_shutdown_timeout` is set, and cancelled acks-late tasks are back in the queue.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Celery, Connection } from '@cq/celery';
import { cq, exited, repoRoot, sandbox, waitFor, type Sandbox } from './helpers.js';

/** Broker URL schemes resolved as an app of @cq/celery resolves them. */
const transports = new Celery('cli-test').transports;

const shutdownApp = path.join(repoRoot, 'apps/cli/test/fixtures/shutdown-app.ts');

async function startShutdownWorker(box: Sandbox, env: Record<string, string>, extra: string[] = ['--no-banner']) {
  const child = cq(['worker', '-A', shutdownApp, ...box.flags, '-l', 'info', '-P', 'async', ...extra], env);
  await waitFor(() => child.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${child.err.join('')}`);
  return child;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

async function queued(box: Sandbox): Promise<number> {
  const conn = await new Connection(box.broker, { transports }).connect();
  try {
    const channel = await conn.channel();
    return (await channel.declareQueue({ name: 'celery', durable: true, exclusive: false, autoDelete: false, arguments: {} })).messageCount;
  } finally {
    await conn.close();
  }
}

describe('cq worker shutdown stages', () => {
  it('second SIGTERM escalates warm to cold: the running task is cancelled, its message requeued, exit code 1', async () => {
    const box = sandbox();
    const log = path.join(box.dir, 'runs.log');
    const client = new Celery('client').configure({ brokerUrl: box.broker, resultBackend: box.backend });
    const res = await client.sendTask('shut.long', [1, 60_000]);
    const worker = await startShutdownWorker(box, { CQ_TEST_LOG: log });
    await waitFor(() => lines(log).includes('start 1'), 20_000, () => 'the task did not start');
    worker.kill('SIGTERM');
    await waitFor(() => worker.err.join('').includes('Warm shutdown (SIGTERM)'), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(worker.exitCode).toBeNull();
    const t0 = Date.now();
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(worker.err.join('')).toContain('Cold shutdown (SIGTERM)');
    expect(worker.err.join('')).toContain('Restoring 1 unacknowledged message(s)');
    expect(lines(log)).toEqual(['start 1', 'cancelled 1']);
    expect(await res.state()).toBe('RETRY');
    expect(await queued(box)).toBe(1);
    await client.close();
  });

  it('SIGQUIT with worker_soft_shutdown_timeout: soft stage first, then the task is cancelled and requeued', async () => {
    const box = sandbox();
    const log = path.join(box.dir, 'runs.log');
    const client = new Celery('client').configure({ brokerUrl: box.broker, resultBackend: box.backend });
    await client.sendTask('shut.long', [2, 60_000]);
    const worker = await startShutdownWorker(box, { CQ_TEST_LOG: log, CQ_TEST_SOFT_TIMEOUT: '1' });
    await waitFor(() => lines(log).includes('start 2'), 20_000, () => 'the task did not start');
    const t0 = Date.now();
    worker.kill('SIGQUIT');
    expect(await exited(worker)).toBe(1);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    const err = worker.err.join('');
    expect(err).toContain('Soft shutdown (SIGQUIT)');
    expect(err).toContain('Initiating Soft Shutdown, terminating in 1 seconds');
    expect(lines(log)).toEqual(['start 2', 'cancelled 2']);
    expect(await queued(box)).toBe(1);
    await client.close();
  });

  it('a warm shutdown with nothing running exits 0; -X leaves a queue out', async () => {
    const box = sandbox();
    const worker = await startShutdownWorker(box, {}, ['-Q', 'celery,other', '-X', 'other']);
    expect(worker.out.join('')).toMatch(/\.> celery\s+exchange=celery/);
    expect(worker.out.join('')).not.toMatch(/\.> other\s+exchange/);
    worker.kill('SIGINT');
    expect(await exited(worker)).toBe(0);
    expect(worker.err.join('')).toContain('Warm shutdown (SIGINT)');
  });
});
