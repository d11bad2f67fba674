/**
 * Beat across languages on one Redis: messages sent by `cq beat` run on a Python Celery worker, and
 * tasks scheduled by Python's `celery beat` run on a cq worker.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execFileTracked, requirePython, spawnTracked, stopTracked } from '@cq/tooling/testing';
import { cq, exited, repoRoot, waitFor } from './helpers.js';

const REDIS = 'redis://127.0.0.1:6379/0';
const beatApp = path.join(repoRoot, 'apps/cli/test/fixtures/beat-app.ts');
const run = `${process.pid}-${randomUUID().slice(0, 8)}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-beat-py-'));
const keys: string[] = [];
const children: ChildProcess[] = [];

// The Python side: the same task name, and a beat_schedule in Celery's own shape.
writeFileSync(path.join(dir, 'beatpy.py'), `
import os
from celery import Celery

app = Celery('beatpy', broker=os.environ['CQ_BEAT_BROKER'])
QUEUE = os.environ['CQ_BEAT_QUEUE']
app.conf.task_default_queue = QUEUE
app.conf.worker_enable_remote_control = False
app.conf.beat_schedule = {
    'py-tick': {'task': 'beat.tick', 'schedule': 1.0, 'args': ('py',), 'options': {'queue': QUEUE, 'expires': 60}},
}

@app.task(name='beat.tick')
def tick(tag):
    with open(os.environ['CQ_TEST_LOG'], 'a') as f:
        f.write(tag + '\\n')
    return tag
`);

function python(args: string[], env: Record<string, string>) {
  const child = spawnTracked(requirePython(['celery', 'redis']), ['-m', 'celery', '-A', 'beatpy', ...args], {
    cwd: dir, env: { ...process.env, CQ_BEAT_BROKER: REDIS, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { out: string[] };
  child.out = [];
  child.stdout!.on('data', (d: Buffer) => child.out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.out.push(d.toString()));
  children.push(child);
  return child;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

afterAll(async () => {
  for (const c of children) await stopTracked(c);
  if (keys.length) {
    await new Promise((r) => execFileTracked('redis-cli', ['-u', REDIS, 'DEL', ...keys, ...keys.map((k) => `_kombu.binding.${k}`)], {}, r));
  }
});

describe('beat interop with Python Celery 5', () => {
  it('cq beat sends; a Python worker runs the tasks', async () => {
    const queue = `cqt.beat.topy.${run}`;
    const lockKey = `cqt.beat.lock.topy.${run}`;
    keys.push(queue, lockKey);
    const log = path.join(dir, 'topy.log');
    const worker = python(['worker', '-P', 'solo', '-Q', queue, '-l', 'info', '--without-mingle', '--without-gossip', '--without-heartbeat'], { CQ_BEAT_QUEUE: queue, CQ_TEST_LOG: log });
    const beat = cq(['beat', '-A', beatApp, '-b', REDIS, '-s', path.join(dir, 'cq-beat.db'), '-l', 'info', '--no-banner'], {
      CQ_TEST_BEAT_QUEUE: queue, CQ_TEST_BEAT_EVERY: '1', CQ_TEST_BEAT_TAG: 'cq', CQ_TEST_BEAT_LOCK_KEY: lockKey,
    });
    children.push(beat);
    await waitFor(() => lines(log).length >= 2, 40_000, () => `the Python worker ran nothing:\n${(worker as unknown as { out: string[] }).out.join('')}\n${beat.err.join('')}`);
    expect(lines(log).every((l) => l === 'cq')).toBe(true);
    beat.kill('SIGTERM');
    expect(await exited(beat)).toBe(0);
  });

  it('Python celery beat sends; a cq worker runs the tasks', async () => {
    const queue = `cqt.beat.fromPy.${run}`;
    keys.push(queue);
    const log = path.join(dir, 'frompy.log');
    const worker = cq(['worker', '-A', beatApp, '-b', REDIS, '-Q', queue, '-l', 'info', '-P', 'async', '--no-banner'], { CQ_TEST_BEAT_QUEUE: queue, CQ_TEST_LOG: log });
    children.push(worker);
    const beat = python(['beat', '-s', path.join(dir, 'celerybeat-schedule'), '--max-interval', '1', '-l', 'info'], { CQ_BEAT_QUEUE: queue, CQ_TEST_LOG: log });
    await waitFor(() => lines(log).length >= 2, 40_000, () => `the cq worker ran nothing:\n${worker.err.join('')}\n${(beat as unknown as { out: string[] }).out.join('')}`);
    expect(lines(log).every((l) => l === 'py')).toBe(true);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  });
});
