/**
 * Interop with real Python Celery (Debian's `/usr/bin/python3`, celery 5.2) on Redis db 11: each
 * side reads what the other writes, and waiters on each side are woken by the other's PUBLISH.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteTaskError } from '@cq/backend';
import { PYTHON, execFileTracked, requirePython, spawnTracked } from '@cq/tooling/testing';
import { RedisBackend } from '../src/index.js';

const URL = 'redis://127.0.0.1:6379/11';
beforeAll(() => { requirePython(['celery', 'redis']); });
const PRELUDE = `
import json, sys
from celery import Celery
app = Celery(backend='${URL}')
task_id = sys.argv[1]
`;

/** Runs `body` after the prelude with `taskId` as sys.argv[1]; resolves with its stdout. */
function python(body: string, taskId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFileTracked(PYTHON, ['-c', PRELUDE + body, taskId], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python failed: ${stderr}`, { cause: err }));
      else resolve(stdout.trim());
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('interop with Python Celery on Redis', () => {
  let backend: RedisBackend;
  let raw: Redis;
  beforeAll(() => {
    backend = new RedisBackend({ url: URL });
    raw = new Redis({ host: '127.0.0.1', port: 6379, db: 11 });
  });
  afterAll(async () => {
    await backend.close();
    await raw.quit();
  });

  async function untilSubscribers(channel: string, count: number): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const reply = (await raw.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(reply[1]) === count) return;
      await sleep(10);
    }
    throw new Error(`${channel} never reached ${count} subscribers`);
  }

  const READ = `
r = app.AsyncResult(task_id)
res = r.result
print(json.dumps([r.state, [type(res).__name__, str(res)] if isinstance(res, Exception) else res, r.traceback]))
`;

  it('Python reads a SUCCESS we wrote, nested data intact', async () => {
    const taskId = randomUUID();
    const result = { list: [1, 2.5, 'three', null, true], nested: { deep: [{ x: -1, text: 'héllo ✓' }] }, empty: {} };
    await backend.markAsDone(taskId, result);
    expect(JSON.parse(await python(READ, taskId))).toEqual(['SUCCESS', result, null]);
  });

  it('Python reads a FAILURE we wrote as the exception type and message', async () => {
    const taskId = randomUUID();
    await backend.markAsFailure(taskId, new TypeError('bad arg'), 'Traceback (most recent call last): ...');
    expect(JSON.parse(await python(READ, taskId))).toEqual(['FAILURE', ['TypeError', 'bad arg'], 'Traceback (most recent call last): ...']);
    const custom = randomUUID();
    class QuotaExceeded extends Error {}
    await backend.markAsFailure(custom, new QuotaExceeded('too many'));
    expect(JSON.parse(await python(READ, custom))).toEqual(['FAILURE', ['QuotaExceeded', 'too many'], null]);
  });

  it('we read a SUCCESS and a ValueError failure that Python wrote', async () => {
    const [ok, failed] = [randomUUID(), randomUUID()];
    await python(`app.backend.store_result(task_id, {'a': [1, 2]}, 'SUCCESS')`, ok);
    await python(`app.backend.mark_as_failure(task_id, ValueError('bad value'))`, failed);
    expect(await backend.getTaskMeta(ok)).toMatchObject({ status: 'SUCCESS', result: { a: [1, 2] }, task_id: ok });
    expect(await backend.getState(failed)).toBe('FAILURE');
    const err = await backend.getResult(failed);
    expect(err).toBeInstanceOf(RemoteTaskError);
    expect(err).toMatchObject({ name: 'ValueError', message: 'bad value', excModule: 'builtins' });
    const metas = await backend.getManyTaskMeta([ok, failed]);
    expect(metas.map((m) => m.status)).toEqual(['SUCCESS', 'FAILURE']);
  });

  it('our waitFor is woken by the PUBLISH of Python\'s store_result', async () => {
    const taskId = randomUUID();
    const waiting = backend.waitFor(taskId, { timeout: 20 });
    await untilSubscribers(`celery-task-meta-${taskId}`, 1);
    await python(`app.backend.store_result(task_id, {'from': 'python', 'n': [1, 2]}, 'SUCCESS')`, taskId);
    expect(await waiting).toMatchObject({ status: 'SUCCESS', result: { from: 'python', n: [1, 2] }, task_id: taskId });
  });

  it('Python\'s AsyncResult.get() is woken by our PUBLISH', async () => {
    const taskId = randomUUID();
    const child = spawnTracked(PYTHON, ['-c', `${PRELUDE}print(json.dumps(app.AsyncResult(task_id).get(timeout=20)))`, taskId], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await untilSubscribers(`celery-task-meta-${taskId}`, 1);
      await backend.markAsDone(taskId, { from: 'cq', ok: true });
      expect(await exited).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ from: 'cq', ok: true });
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });
});
