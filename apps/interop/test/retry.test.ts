/**
 * Retry chains across languages (issue 4: "a Python-started retry continued by cq"), on RabbitMQ with
 * results in Redis db 2. `mix.relay` exists on both sides: each try notes who ran it and retries
 * itself into the next queue of its list, so one task id is retried by Python into a cq worker's queue
 * and by cq into a Python worker's queue. The retried message is what each side's `retry()` publishes
 * (same id, `retries` + 1, new kwargs, `countdown` 0); the other side must run it as the next try.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Celery, createLogger, type TaskContext } from '@cq/celery';
import { deleteAmqp } from './brokers.js';
import { type Urls, usePairedWorkers } from './helpers.js';

const suffix = randomUUID().slice(0, 8);
const TS = `cqt.retry.ts.${suffix}`;
const PY = `cqt.retry.py.${suffix}`;
const urls: Urls = { broker: 'amqp://guest:guest@127.0.0.1:5672//', backend: 'redis://127.0.0.1:6379/2', queue: PY };

const app = new Celery('retry-interop', { task_default_queue: TS, task_default_exchange: '', result_expires: 600 })
  .configure({ brokerUrl: urls.broker, resultBackend: urls.backend });
app.log = createLogger({ level: 'critical' });
app.task('mix.relay', (ctx: TaskContext, queues: string[], trail: string[]) => {
  const retries = ctx.request.retries;
  const next = [...trail, `ts:${retries}`];
  if (retries < queues.length) ctx.retry({ countdown: 0, kwargs: { queues, trail: next }, options: { queue: queues[retries] } });
  return next;
}, { bind: true, maxRetries: 10, params: ['queues', 'trail'] });

const ids: string[] = [];
usePairedWorkers(app, TS, urls, async () => {
  await deleteAmqp([TS, PY], [TS, PY]);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 2 });
  if (ids.length > 0) await redis.del(...ids.map((id) => `celery-task-meta-${id}`));
  redis.disconnect();
});

describe('retries continued by the other side', () => {
  it('a retry started by Python is continued by cq, and cq retries back into Python', async () => {
    const r = await app.sendTask<string[]>('mix.relay', [], { kwargs: { queues: [TS, PY], trail: [] }, queue: PY });
    ids.push(r.id);
    expect(await r.get({ timeout: 30 })).toEqual(['py:0', 'ts:1', 'py:2']);
    expect(await r.state()).toBe('SUCCESS');
  }, 40_000);

  it('a retry started by cq is continued by Python, and Python retries back into cq', async () => {
    const r = await app.sendTask<string[]>('mix.relay', [], { kwargs: { queues: [PY, TS], trail: [] }, queue: TS });
    ids.push(r.id);
    expect(await r.get({ timeout: 30 })).toEqual(['ts:0', 'py:1', 'ts:2']);
  }, 40_000);
});
