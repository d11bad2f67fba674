/**
 * `cq beat` and `cq worker -B` as real processes: two beats on one Redis send each run once, the
 * standby takes over within the lease when the active one is killed, a restart after missed runs
 * sends once (as Celery), and -B runs the schedule inside a worker.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteScheduleStore } from '@cq/celery';
import { execFileTracked } from '@cq/tooling/testing';
import { cq, exited, repoRoot, sandbox, waitFor } from './helpers.js';

const REDIS = 'redis://127.0.0.1:6379/0';
const beatApp = path.join(repoRoot, 'apps/cli/test/fixtures/beat-app.ts');
const run = `${process.pid}-${randomUUID().slice(0, 8)}`;
const keys: string[] = [];
const children: Array<ReturnType<typeof cq>> = [];

function redis(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFileTracked('redis-cli', ['-u', REDIS, ...args], {}, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

interface Headers { id: string; task: string; expires: string | null }

/** Headers of the messages waiting in a Redis queue (kombu's list of JSON envelopes). */
async function queuedHeaders(queue: string): Promise<Headers[]> {
  const lines = (await redis('LRANGE', queue, '0', '-1')).split('\n').filter((l) => l.startsWith('{'));
  return lines.map((l) => (JSON.parse(l) as { headers: Headers }).headers);
}

/** Task ids of the messages waiting in a Redis queue. */
async function queued(queue: string): Promise<string[]> {
  return (await queuedHeaders(queue)).map((h) => h.id);
}

const sends = (p: ReturnType<typeof cq>) => (p.err.join('').match(/Sending due task tick \(beat\.tick\)/g) ?? []).length;
const logged = (p: ReturnType<typeof cq>, text: string) => p.err.join('').includes(text);

function startBeat(dir: string, env: Record<string, string>, extra: string[] = []) {
  const child = cq(['beat', '-A', beatApp, '-b', REDIS, '-s', path.join(dir, 'beat.db'), '-l', 'info', '--no-banner', ...extra], env);
  children.push(child);
  return child;
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'cq-beat-cli-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) {
    c.kill('SIGKILL');
    await exited(c);
  }
  if (keys.length) await redis('DEL', ...keys, ...keys.map((k) => `_kombu.binding.${k}`));
});

describe('cq beat on Redis', () => {
  it('two beats: only one sends; killing it hands over within the lease; no run is sent twice', async () => {
    const queue = `cqt.beat.q.${run}`;
    const lockKey = `cqt.beat.lock.${run}`;
    keys.push(queue, lockKey);
    const env = { CQ_TEST_BEAT_QUEUE: queue, CQ_TEST_BEAT_EVERY: '1', CQ_TEST_BEAT_LOCK_TIMEOUT: '3', CQ_TEST_BEAT_LOCK_KEY: lockKey };
    const a = startBeat(tmp(), env);
    await waitFor(() => logged(a, 'holding the beat lock'), 30_000, () => `beat a did not start:\n${a.err.join('')}`);
    const b = startBeat(tmp(), env);
    await waitFor(() => logged(b, 'standing by'), 30_000, () => `beat b did not start:\n${b.err.join('')}`);
    await waitFor(() => sends(a) >= 1, 10_000);
    const firstSend = Date.now();
    await sleep(4_000);
    expect(sends(b)).toBe(0);
    expect(sends(a)).toBeGreaterThanOrEqual(3);
    // One message per 1-second run: never two beats' worth.
    let ids = await queued(queue);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(sends(a));
    expect(ids.length).toBeLessThanOrEqual((Date.now() - firstSend) / 1000 + 2);
    // The entry's args/options shape the message: task name, and `expires` (60 s) as an ISO date.
    const [h] = await queuedHeaders(queue);
    expect(h!.task).toBe('beat.tick');
    expect(Date.parse(h!.expires!) - Date.now()).toBeGreaterThan(40_000);

    a.kill('SIGKILL');
    const killedAt = Date.now();
    await exited(a);
    const sentByA = sends(a);
    await waitFor(() => logged(b, 'holding the beat lock'), 10_000, () => `standby did not take over:\n${b.err.join('')}`);
    expect(Date.now() - killedAt).toBeLessThan(3_000 + 3_000); // the lease (3 s), with slack
    await waitFor(() => sends(b) >= 2, 10_000);
    ids = await queued(queue);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(sentByA + sends(b));
    expect(ids.length).toBeLessThanOrEqual((Date.now() - firstSend) / 1000 + 2);
    b.kill('SIGTERM');
    expect(await exited(b)).toBe(0);
  });

  it('a restart after missed runs sends the entry once, then follows the schedule (as Celery)', async () => {
    const queue = `cqt.beat.r.${run}`;
    const lockKey = `cqt.beat.lock.r.${run}`;
    keys.push(queue, lockKey);
    const env = { CQ_TEST_BEAT_QUEUE: queue, CQ_TEST_BEAT_EVERY: '3', CQ_TEST_BEAT_LOCK_KEY: lockKey };
    const dir = tmp();
    const first = startBeat(dir, env);
    await waitFor(() => sends(first) >= 1, 30_000, () => `beat did not send:\n${first.err.join('')}`);
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
    await sleep(7_000); // two 3-second runs missed
    const second = startBeat(dir, env);
    await waitFor(() => logged(second, 'holding the beat lock'), 30_000, () => `beat did not restart:\n${second.err.join('')}`);
    await waitFor(() => sends(second) >= 1, 2_000, () => `the missed run was not sent at start-up:\n${second.err.join('')}`);
    await sleep(1_500);
    expect(sends(second)).toBe(1); // once, not once per missed run
    await waitFor(() => sends(second) >= 2, 6_000);
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    expect(await queued(queue)).toHaveLength(1 + sends(second));
    const store = new SqliteScheduleStore(path.join(dir, 'beat.db'));
    expect(store.load().get('tick')?.totalRunCount).toBe(1 + sends(second));
    store.close();
  });
});

describe('cq worker -B', () => {
  it('runs the beat schedule inside the worker, on the embedded SQLite broker', async () => {
    const box = sandbox();
    const log = path.join(box.dir, 'ran.log');
    const worker = cq(['worker', '-A', beatApp, ...box.flags, '-l', 'info', '-P', 'async', '--no-banner', '-B'], { CQ_TEST_LOG: log, CQ_TEST_BEAT_EVERY: '1' });
    children.push(worker);
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    await waitFor(() => lines().length >= 2, 30_000, () => `no periodic task ran:\n${worker.err.join('')}`);
    expect(lines().every((l) => l === 'cq')).toBe(true);
    expect(existsSync(path.join(box.dir, 'beat.db'))).toBe(true);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  });
});
