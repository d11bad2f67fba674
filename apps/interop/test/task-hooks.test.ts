/**
 * Task classes across languages, on Redis db 7: a Python Celery client calls a task that fails on an
 * in-process cq worker, whose task class records what its `onFailure` handler saw; the Python
 * client's `AsyncResult.get()` raises that same error (type and message). And a task run by cq that
 * sends subtasks and a group stores them as its children the way Celery does: Python's
 * `AsyncResult.children` reads an AsyncResult per subtask and a GroupResult with the members' ids.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Celery, Task, Worker, createLogger, group, signature, type ExceptionInfo } from '@cq/celery';
import { execFileTracked, requirePython } from '@cq/tooling/testing';
import { pythonCall, type Urls } from './helpers.js';

const DB = 7;
const REDIS = `redis://127.0.0.1:6379/${DB}`;
const queue = `interop.hooks.${randomUUID().slice(0, 8)}`;
const urls: Urls = { broker: REDIS, backend: REDIS, queue };

/** What the onFailure handler of the task class received. */
const observed: Array<{ taskId: string; name: string; message: string; einfoType: string; args: unknown[] }> = [];
class Audited extends Task {
  override onFailure(exc: Error, taskId: string, args: unknown[], _kwargs: Record<string, unknown>, einfo: ExceptionInfo): void {
    observed.push({ taskId, name: exc.name, message: exc.message, einfoType: einfo.type, args });
  }
}

const app = new Celery('hooks', { broker_url: REDIS, result_backend: REDIS, task_default_queue: queue, result_expires: 600 });
app.log = createLogger({ level: 'critical' });
app.task('hooks.fail', (what: string) => {
  const err = new Error(`cannot handle ${what}`);
  err.name = 'KeyError';
  throw err;
}, { base: Audited });
const add = app.task('hooks.add', (x: number, y: number) => x + y);
const spawner = app.task('hooks.spawner', async () => {
  const a = await add.delay(1, 1);
  const g = await group(signature(add, [2, 2]), signature(add, [3, 3])).applyAsync();
  return { a: a.id, g: g.id, members: g.results.map((r) => r.id) };
});
const ids: string[] = [];
let worker: Worker;

beforeAll(async () => {
  worker = new Worker(app, { pool: 'async', concurrency: 4, queues: [queue], hostname: `${queue}@interop`, withoutGossip: true, withoutHeartbeat: true });
  await worker.start();
}, 60_000);

afterAll(async () => {
  await worker?.shutdown('cold').catch(() => undefined);
  const conn = app.connection();
  await (await conn.channel()).deleteQueue(queue).catch(() => 0);
  await conn.close();
  await app.close();
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: DB });
  try {
    const keys = [...ids.map((id) => `celery-task-meta-${id}`), ...await redis.keys(`*${queue}*`)];
    if (keys.length > 0) await redis.del(...keys);
    const pidbox = (await redis.smembers('_kombu.binding.celery.pidbox')).filter((m) => m.includes(queue));
    if (pidbox.length > 0) await redis.srem('_kombu.binding.celery.pidbox', ...pidbox);
  } finally {
    redis.disconnect();
  }
});

describe('task classes: cq worker, Python client (Redis)', () => {
  it("the Python client receives the failure the cq task's onFailure observed", async () => {
    const res = await pythonCall(urls, { name: 'hooks.fail', args: ['order 7'], timeout: 20 });
    ids.push(res.id);
    expect(res).toMatchObject({ state: 'FAILURE', error: 'KeyError' });
    const seen = observed.find((o) => o.taskId === res.id);
    expect(seen).toEqual({ taskId: res.id, name: 'KeyError', message: 'cannot handle order 7', einfoType: 'KeyError', args: ['order 7'] });
    // Python's str() of a KeyError is the repr of its argument.
    expect(res.message).toBe(`'${seen!.message}'`);
  });

  it('children stored by cq read in Python as an AsyncResult and a GroupResult', async () => {
    const r = await spawner.delay();
    const sent = await r.get({ timeout: 10 });
    ids.push(r.id, sent.a, ...sent.members);
    const script = [
      'import json, sys',
      'from celery import Celery',
      'app = Celery(broker=sys.argv[1], backend=sys.argv[1])',
      'r = app.AsyncResult(sys.argv[2])',
      "print(json.dumps([[type(c).__name__, c.id, [m.id for m in getattr(c, 'results', None) or []]] for c in r.children]))",
    ].join('\n');
    const out = await new Promise<string>((resolve, reject) => {
      execFileTracked(requirePython(['celery', 'redis']), ['-c', script, REDIS, r.id], { timeout: 30_000 }, (err, stdout, stderr) =>
        (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim())));
    });
    expect(JSON.parse(out)).toEqual([['AsyncResult', sent.a, []], ['GroupResult', sent.g, sent.members]]);
  });
});
