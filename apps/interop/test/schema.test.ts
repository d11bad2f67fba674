/**
 * Argument schemas across languages, on Redis (db 7, names under a fresh queue prefix):
 *
 * - a cq worker (`cq worker -P prefork`, ts/schema-app.ts) runs `ts.schema.signup`, whose argument
 *   a Standard Schema validates in the pool child before the function runs. A Python Celery 5.2
 *   client that sends bad input reads a `ValidationError` whose `str()` lists every issue by path;
 *   good input from Python and from a cq client reaches the function as the schema's output;
 * - a Python worker (py/schema_tasks.py) runs `py.schema.signup`, which validates with a pydantic
 *   model as Celery 5.5's `pydantic=True` would; a cq client gets the model's dump, or a
 *   `ValidationError` carrying pydantic's message.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Celery, createLogger } from '@cq/celery';
import { requirePython } from '@cq/tooling/testing';
import { pythonCall, startCqWorker, startPythonWorker, startTogether, stop, type Proc, type PythonCallResult, type Urls } from './helpers.js';

const DB = 7;
const REDIS = `redis://127.0.0.1:6379/${DB}`;
const queue = `interop.schema.${randomUUID().slice(0, 8)}`;
const pyQueue = `${queue}.py`;
const here = path.dirname(fileURLToPath(import.meta.url));
/** The cq worker's side: it consumes `queue`; the Python client sends there (its default queue). */
const urls: Urls = { broker: REDIS, backend: REDIS, queue, app: path.resolve(here, '../ts/schema-app.ts'), py: 'schema_tasks' };

const client = new Celery('schema-client', { broker_url: REDIS, result_backend: REDIS, task_default_queue: queue, result_expires: 600 });
client.log = createLogger({ level: 'critical' });
const ids: string[] = [];
let cq: Proc | undefined;
let py: Proc | undefined;

/** Python's client (py/schema_tasks.py): sends to the cq worker and reports the rebuilt exception. */
async function fromPython(request: { name: string; args?: unknown[]; kwargs?: Record<string, unknown> }): Promise<PythonCallResult & { module?: string }> {
  const res = await pythonCall(urls, { ...request, timeout: 20 });
  ids.push(res.id);
  return res;
}

beforeAll(async () => {
  requirePython(['celery', 'kombu', 'redis', 'pydantic']);
  [cq, py] = await startTogether(
    startCqWorker(urls, ['-P', 'prefork', '-c', '1']),
    startPythonWorker({ ...urls, queue: pyQueue }),
  );
}, 90_000);

afterAll(async () => {
  await stop(py);
  await stop(cq);
  await client.close();
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: DB });
  try {
    const keys = [...ids.map((id) => `celery-task-meta-${id}`), ...await redis.keys(`*${queue}*`)];
    if (keys.length > 0) await redis.del(...keys);
    const bindings = await redis.keys('_kombu.binding.*');
    for (const key of bindings) {
      const members = (await redis.smembers(key)).filter((m) => m.includes(queue));
      if (members.length > 0) await redis.srem(key, ...members);
    }
  } finally {
    redis.disconnect();
  }
});

describe('a schema-validated cq task, called from Python (Redis, prefork worker)', () => {
  it('bad input fails with a ValidationError whose str() lists each issue by path', async () => {
    const res = await fromPython({ name: 'ts.schema.signup', args: [{ email: 'not-an-email', age: 12 }] });
    expect(res).toMatchObject({ state: 'FAILURE', error: 'ValidationError', module: 'celery.backends.base' });
    expect(res.message).toBe('2 validation errors for ts.schema.signup\nuser.email\n  Invalid email address\nuser.age\n  expected an integer >= 18');
    // A keyword argument is bound to its parameter by name first, then validated under that name.
    const kw = await fromPython({ name: 'ts.schema.signup', kwargs: { user: 'ada' } });
    expect(kw).toMatchObject({ state: 'FAILURE', error: 'ValidationError', message: '1 validation error for ts.schema.signup\nuser\n  expected an object' });
  });

  it('good input from Python reaches the function as the schema output', async () => {
    const res = await fromPython({ name: 'ts.schema.signup', kwargs: { user: { email: 'Ada@Example.COM', age: 36 } } });
    expect(res).toMatchObject({ state: 'SUCCESS', result: { email: 'ada@example.com', age: 36, by: 'ts' } });
  });

  it('a cq client gets the same: the result, or the ValidationError with its issues', async () => {
    const good = await client.sendTask('ts.schema.signup', [{ email: 'Grace@Example.COM', age: 40 }]);
    ids.push(good.id);
    expect(await good.get({ timeout: 20 })).toEqual({ email: 'grace@example.com', age: 40, by: 'ts' });
    const bad = await client.sendTask('ts.schema.signup', [{ email: 'grace@example.com', age: 17.5 }]);
    ids.push(bad.id);
    await expect(bad.get({ timeout: 20 })).rejects.toMatchObject({
      name: 'ValidationError', excModule: null, message: '1 validation error for ts.schema.signup\nuser.age\n  expected an integer >= 18',
    });
  });
});

describe('a Python task validating with pydantic, called from cq (Redis)', () => {
  it('good input returns the model dump, bad input a readable ValidationError', async () => {
    const good = await client.sendTask('py.schema.signup', [{ email: 'ada@example.com', age: '36' }], { queue: pyQueue });
    ids.push(good.id);
    // pydantic coerces '36' to 36, as a lax model does.
    expect(await good.get({ timeout: 20 })).toEqual({ email: 'ada@example.com', age: 36, by: 'py' });
    const bad = await client.sendTask('py.schema.signup', [], { queue: pyQueue, kwargs: { user: { email: 'ada@example.com', age: 12 } } });
    ids.push(bad.id);
    const error = await bad.get({ timeout: 20 }).then(() => null, (e: unknown) => e as Error & { excModule: string | null });
    expect(error).toMatchObject({ name: 'ValidationError', excModule: 'schema_tasks' });
    expect(error!.message).toMatch(/^1 validation error for User\nage\n {2}.*18/);
  });
});
