/**
 * Task classes, annotations, worker_direct and the AsyncResult API against a real worker (async pool)
 * on Redis db 7 (broker and results; RabbitMQ too for worker_direct): handlers fire in Celery's
 * trace.py order between the signals, one task instance per name serves every call, a throwing
 * handler fails the task as Celery's "outside the body" errors do, task_annotations reach running
 * tasks by glob, a worker-direct task reaches only its worker, and revoke / forget / parent /
 * children / collect / GroupResult behave as Celery's. Names (queues, hostnames, the pidbox
 * namespace) carry this run's tag; the tag's keys, queues and bindings are removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  AsyncResult, Celery, Task, after_task_publish, createLogger, task_failure, task_postrun, task_prerun, task_retry, task_success,
  workerDirect, type CelerySettings, type ExceptionInfo, type TaskContext,
} from '@cq/app';
import { GroupResult, chain, group, signature } from '@cq/canvas';
import { control } from '@cq/control';
import { Worker } from '@cq/worker';
import { testPlugins } from './plugins.js';

const DB = 7;
const REDIS = `redis://127.0.0.1:6379/${DB}`;
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const tag = `tc${randomUUID().slice(0, 6)}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

const ids = new Set<string>();
const groupIds = new Set<string>();
/** Queues to delete, by the app whose broker holds them. */
const queues = new Map<Celery, Set<string>>();
const apps: Celery[] = [];
const workers: Worker[] = [];
const offs: Array<() => void> = [
  after_task_publish.connect(({ headers }) => { if (String(headers['task']).startsWith('tc.')) ids.add(String(headers['id'])); }),
];

function makeApp(settings: Partial<CelerySettings> = {}, broker = REDIS): Celery {
  const queue = `cqt.${tag}.${randomUUID().slice(0, 6)}`;
  const app = new Celery('tc', {
    broker_url: broker, result_backend: REDIS, result_expires: 600, task_default_queue: queue,
    // this run's own pidbox (`<tag>.pidbox`, `reply.<tag>.pidbox`): other users of db 7 keep theirs
    control_exchange: tag, ...settings,
  }, { plugins: [...testPlugins(), control()] });
  app.log = createLogger({ level: process.env['CQ_TEST_LOG_LEVEL'] ?? 'critical' });
  apps.push(app);
  queues.set(app, new Set([queue]));
  return app;
}

async function startWorker(app: Celery, hostname = `w-${randomUUID().slice(0, 4)}@${tag}`): Promise<Worker> {
  const worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 4, hostname, withoutGossip: true, withoutHeartbeat: true });
  workers.push(worker);
  await worker.start();
  return worker;
}

afterAll(async () => {
  for (const off of offs) off();
  for (const w of workers) await w.shutdown('cold').catch(() => undefined);
  for (const [app, names] of queues) {
    const conn = app.connection();
    // a channel per entity: on AMQP a failed delete closes its channel
    for (const q of names) await (await conn.channel()).deleteQueue(q).catch(() => 0);
    // exchanges named after the default queue and this run's pidbox (C.dq2 is Celery's, shared: kept)
    for (const x of [app.conf.task_default_queue, `${tag}.pidbox`, `reply.${tag}.pidbox`]) {
      await (await conn.channel()).deleteExchange(x).catch(() => undefined);
    }
    await conn.close();
  }
  for (const app of apps) await app.close().catch(() => undefined);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: DB });
  try {
    const keys = [...ids].map((id) => `celery-task-meta-${id}`).concat([...groupIds].map((g) => `celery-taskset-meta-${g}`), await redis.keys(`*${tag}*`));
    if (keys.length > 0) await redis.del(...keys);
    for (const set of await redis.keys('_kombu.binding.*')) {
      const mine = (await redis.smembers(set)).filter((m) => m.includes(tag));
      if (mine.length > 0) await redis.srem(set, ...mine);
    }
  } finally {
    redis.disconnect();
  }
}, 60_000);

/** Everything that happened to the tasks of one test, in order: handlers, the function, signals. */
let order: string[] = [];
const mine = (sender: unknown): boolean => String((sender as Task).name).startsWith('tc.order.');
offs.push(
  task_prerun.connect(({ sender }) => { if (mine(sender)) order.push('task_prerun'); }),
  task_success.connect(({ sender }) => { if (mine(sender)) order.push('task_success'); }),
  task_failure.connect(({ sender, exception }) => { if (mine(sender)) order.push(`task_failure:${exception.message}`); }),
  task_retry.connect(({ sender }) => { if (mine(sender)) order.push('task_retry'); }),
  task_postrun.connect(({ sender, state }) => { if (mine(sender)) order.push(`task_postrun:${state}`); }),
);

/** Records every handler; `onSuccess` reads the stored state first, proving it runs after the result is stored. */
class Traced extends Task {
  static made = 0;
  calls = 0;
  constructor(...args: ConstructorParameters<typeof Task>) {
    super(...args);
    Traced.made += 1;
  }

  override beforeStart(_id: string, args: unknown[]): void {
    this.calls += 1;
    order.push(`beforeStart:${JSON.stringify(args)}`);
  }

  override async onSuccess(retval: unknown, taskId: string): Promise<void> {
    order.push(`onSuccess:${String(retval)}:stored ${await (this.app as Celery).asyncResult(taskId).state()}`);
  }

  override async onFailure(exc: Error, taskId: string, _a: unknown[], _k: Record<string, unknown>, einfo: ExceptionInfo): Promise<void> {
    order.push(`onFailure:${exc.name}:${exc.message}:${einfo.type}:stored ${await (this.app as Celery).asyncResult(taskId).state()}`);
  }

  override onRetry(exc: unknown): void {
    order.push(`onRetry:${(exc as Error).message}`);
  }

  override afterReturn(status: string, retval: unknown, _id: string, _a: unknown[], _k: Record<string, unknown>, einfo: ExceptionInfo | null): void {
    order.push(`afterReturn:${status}:${retval instanceof Error ? retval.message : String(retval)}:${String(einfo)}`);
  }
}

describe('task classes and handlers in a worker (Redis)', () => {
  const app = makeApp();
  const add = app.task('tc.order.add', (x: number, y: number) => { order.push('run'); return x + y; }, { base: Traced });
  const fail = app.task('tc.order.fail', (why: string) => {
    order.push('run');
    const e = new Error(why);
    e.name = 'ValueError';
    throw e;
  }, { base: Traced });
  const flaky = app.task('tc.order.flaky', (ctx: TaskContext) => {
    order.push(`run:${ctx.request.retries}`);
    // countdown 1 s: the first run is over (handlers, postrun) before the retried one starts
    if (ctx.request.retries === 0) ctx.retry({ countdown: 1, exc: new Error('once more') });
    return 'ok';
  }, { bind: true, base: Traced });
  class BadSuccess extends Traced {
    override onSuccess(): Promise<void> { order.push('onSuccess:throws'); return Promise.reject(new Error('handler bug')); }
  }
  const badSuccess = app.task('tc.order.badSuccess', () => { order.push('run'); return 1; }, { base: BadSuccess });
  class BadStart extends Traced {
    override beforeStart(): void { order.push('beforeStart:throws'); throw new Error('not ready'); }
  }
  const badStart = app.task('tc.order.badStart', () => { order.push('run'); return 1; }, { base: BadStart });

  it('success: prerun → beforeStart → run → (stored) onSuccess → task_success → afterReturn → postrun', async () => {
    await startWorker(app);
    order = [];
    const r = await add.delay(2, 3);
    expect(await r.get({ timeout: 10 })).toBe(5);
    await until(() => order.includes('task_postrun:SUCCESS'));
    expect(order).toEqual([
      'task_prerun', 'beforeStart:[2,3]', 'run', 'onSuccess:5:stored SUCCESS', 'task_success', 'afterReturn:SUCCESS:5:null', 'task_postrun:SUCCESS',
    ]);
  });

  it('failure: (stored) onFailure with einfo → task_failure → afterReturn(FAILURE, error) → postrun; a Python-style error reaches the client', async () => {
    order = [];
    const r = await fail.delay('bad input');
    await expect(r.get({ timeout: 10 })).rejects.toMatchObject({ name: 'ValueError', message: 'bad input' });
    await until(() => order.includes('task_postrun:FAILURE'));
    expect(order).toEqual([
      'task_prerun', 'beforeStart:["bad input"]', 'run', 'onFailure:ValueError:bad input:ValueError:stored FAILURE', 'task_failure:bad input',
      'afterReturn:FAILURE:bad input:null', 'task_postrun:FAILURE',
    ]);
  });

  it('retry: onRetry → task_retry → postrun(RETRY), no afterReturn; then the retried run succeeds', async () => {
    order = [];
    const r = await flaky.delay();
    expect(await r.get({ timeout: 10 })).toBe('ok');
    await until(() => order.includes('task_postrun:SUCCESS'));
    expect(order).toEqual([
      'task_prerun', 'beforeStart:[]', 'run:0', 'onRetry:once more', 'task_retry', 'task_postrun:RETRY',
      'task_prerun', 'beforeStart:[]', 'run:1', 'onSuccess:ok:stored SUCCESS', 'task_success', 'afterReturn:SUCCESS:ok:null', 'task_postrun:SUCCESS',
    ]);
  });

  it('one instance per task name in the process: every call goes through it and its state', async () => {
    const made = Traced.made;
    const before = add.calls;
    order = [];
    await Promise.all((await Promise.all([add.delay(1, 1), add.delay(2, 2), add.delay(3, 3)])).map((r) => r.get({ timeout: 10 })));
    await until(() => order.filter((e) => e === 'task_postrun:SUCCESS').length === 3);
    expect(add.calls - before).toBe(3);
    expect(Traced.made).toBe(made);
    expect(app.tasks.get('tc.order.add')).toBe(add);
    expect(fail.calls).toBeGreaterThan(0);
    expect(fail).not.toBe(add);
  });

  it('a throwing onSuccess is an error outside the body: postrun(SUCCESS), then onFailure and task_failure with it; the stored SUCCESS stays', async () => {
    order = [];
    const r = await badSuccess.delay();
    await until(() => order.some((e) => e.startsWith('task_failure')));
    expect(order).toEqual([
      'task_prerun', 'beforeStart:[]', 'run', 'onSuccess:throws', 'task_postrun:SUCCESS',
      'onFailure:Error:handler bug:Error:stored SUCCESS', 'task_failure:handler bug',
    ]);
    // The FAILURE write is refused over a SUCCESS, as Celery's key-value backends refuse it.
    expect(await r.get({ timeout: 10 })).toBe(1);
    expect(await r.state()).toBe('SUCCESS');
  });

  it('a throwing afterReturn after a failure: FAILURE stored again with the handler\'s error', async () => {
    class BadReturn extends Traced {
      override afterReturn(): void { order.push('afterReturn:throws'); throw new Error('after bug'); }
    }
    const badReturn = app.task('tc.order.badReturn', () => { order.push('run'); throw new Error('first'); }, { base: BadReturn });
    order = [];
    const r = await badReturn.delay();
    await until(() => order.includes('task_failure:after bug'));
    expect(order).toEqual([
      'task_prerun', 'beforeStart:[]', 'run', 'onFailure:Error:first:Error:stored FAILURE', 'task_failure:first', 'afterReturn:throws',
      'task_postrun:FAILURE', 'onFailure:Error:after bug:Error:stored FAILURE', 'task_failure:after bug',
    ]);
    await expect(r.get({ timeout: 10 })).rejects.toMatchObject({ message: 'after bug' });
  });

  it('a throwing beforeStart fails the task as the task would: the function never runs', async () => {
    order = [];
    const r = await badStart.delay();
    await expect(r.get({ timeout: 10 })).rejects.toMatchObject({ message: 'not ready' });
    await until(() => order.includes('task_postrun:FAILURE'));
    expect(order).toEqual([
      'task_prerun', 'beforeStart:throws', 'onFailure:Error:not ready:Error:stored FAILURE', 'task_failure:not ready',
      'afterReturn:FAILURE:not ready:null', 'task_postrun:FAILURE',
    ]);
  });
});

describe('task_annotations in a worker (Redis)', () => {
  const seen: string[] = [];
  const app = makeApp({
    task_annotations: {
      'tc.anno.*': {
        timeLimit: 0.3,
        onFailure(this: Task, exc: Error) { seen.push(`${this.name}:${exc.name}`); },
      },
    },
  });
  const slow = app.task('tc.anno.slow', async () => { await sleep(1500); return 'late'; });
  const other = app.task('tc.plain.slow', async () => { await sleep(500); return 'done'; });

  it('a glob annotation gives the matching task its time limit and onFailure; the others keep theirs', async () => {
    expect(slow.options.timeLimit).toBe(0.3);
    expect(other.options.timeLimit).toBeUndefined();
    await startWorker(app);
    const [a, b] = await Promise.all([slow.delay(), other.delay()]);
    await expect(a.get({ timeout: 10 })).rejects.toMatchObject({ name: 'TimeLimitExceeded' });
    expect(await b.get({ timeout: 10 })).toBe('done');
    expect(seen).toEqual(['tc.anno.slow:TimeLimitExceeded']);
  });
});

describe.each([['Redis', REDIS], ['RabbitMQ', AMQP]])('worker_direct (%s)', (_name, broker) => {
  it('each worker consumes <hostname>.dq2 on C.dq2; a task sent there runs on that worker only', async () => {
    const app = makeApp({ worker_direct: true }, broker);
    const where = app.task('tc.where', (ctx: TaskContext) => ({ host: ctx.request.hostname, exchange: ctx.request.deliveryInfo.exchange }), { bind: true });
    const w1 = await startWorker(app, `w1-${randomUUID().slice(0, 4)}@${tag}`);
    const w2 = await startWorker(app, `w2-${randomUUID().slice(0, 4)}@${tag}`);
    for (const w of [w1, w2]) queues.get(app)!.add(`${w.hostname}.dq2`);
    const direct = w1.queues.find((q) => q.name === `${w1.hostname}.dq2`)!;
    expect([direct.exchange.name, direct.exchange.type, direct.routingKey]).toEqual(['C.dq2', 'direct', w1.hostname]);
    const results = await Promise.all(Array.from({ length: 6 }, () => where.applyAsync([], { queue: workerDirect(w2.hostname) })));
    for (const r of results) expect(await r.get({ timeout: 10 })).toEqual({ host: w2.hostname, exchange: 'C.dq2' });
    // Without it, the default queue is shared as usual.
    expect([w1.hostname, w2.hostname]).toContain(((await (await where.delay()).get({ timeout: 10 })) as { host: string }).host);
  });
});

describe('AsyncResult and GroupResult (Redis)', () => {
  const app = makeApp({ task_track_started: true });
  const add = app.task('tc.res.add', (x: number, y: number) => x + y);
  const sleepy = app.task('tc.res.sleepy', async (ctx: TaskContext, ms: number) => {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    return 'slept';
  }, { bind: true });
  const lineage = app.task('tc.res.lineage', (ctx: TaskContext) => ({ parent: ctx.request.parentId, root: ctx.request.rootId }), { bind: true });
  const spawner = app.task('tc.res.spawner', async (ctx: TaskContext) => {
    const a = await add.delay(1, 2);
    const b = await lineage.delay();
    const g = await group(signature(add, [10, 10]), signature(add, [20, 20])).applyAsync();
    groupIds.add(g.id);
    const quiet = await add.applyAsync([0, 0], { addToParent: false });
    return { a: a.id, b: b.id, g: g.id, members: g.results.map((r) => r.id), quiet: quiet.id, self: ctx.request.id };
  }, { bind: true });

  it('revoke({ terminate }) stops a running task: REVOKED, get() throws TaskRevokedError', async () => {
    await startWorker(app);
    const r = await sleepy.delay(20_000);
    await until(async () => (await r.state()) === 'STARTED');
    await r.revoke({ terminate: true, signal: 'SIGKILL' });
    await until(async () => (await r.state()) === 'REVOKED');
    await expect(r.get({ timeout: 5 })).rejects.toMatchObject({ name: 'TaskRevokedError' });
  });

  it('revoke() before it runs: the held ETA task never runs', async () => {
    const r = await sleepy.applyAsync([10], { countdown: 1 });
    await r.revoke({ wait: true, timeout: 2 });
    await until(async () => (await r.state()) === 'REVOKED', 5000);
  });

  it('subtasks sent from a task are its children (a group as one GroupResult), with parent and root ids; collect() walks them', async () => {
    const r = await spawner.delay();
    const sent = await r.get({ timeout: 10 });
    expect(await app.asyncResult(sent.b).get({ timeout: 10 })).toEqual({ parent: r.id, root: r.id });
    const children = (await r.children())!;
    expect(children.map((c) => c.id)).toEqual([sent.a, sent.b, sent.g]);
    expect(children[2]).toBeInstanceOf(GroupResult);
    expect((children[2] as GroupResult).results.map((m) => m.id)).toEqual(sent.members);
    const walked: Array<[string, unknown]> = [];
    for await (const [node, value] of r.collect({ timeout: 10 })) walked.push([node.id, value]);
    expect(walked.map(([id]) => id)).toEqual([r.id, sent.a, sent.b, sent.g, ...sent.members]);
    expect(walked.slice(1).map(([, v]) => v)).toEqual([3, { parent: r.id, root: r.id }, [20, 40], 20, 40]);
  });

  it('a chain result knows its parent; get() follows it; forget() forgets it and its parents', async () => {
    const r = await chain(signature(add, [1, 2]), signature(add, [3])).applyAsync();
    expect(await r.get({ timeout: 10 })).toBe(6);
    expect(r.parent).toBeInstanceOf(AsyncResult);
    expect(await r.parent!.get({ timeout: 10 })).toBe(3);
    await r.forget();
    expect([await r.state(), await r.parent!.state()]).toEqual(['PENDING', 'PENDING']);
  });

  it('get() throws a failed parent\'s error while the child is still pending (follow_parents)', async () => {
    const parent = app.asyncResult('tc-never-' + randomUUID());
    const child = app.asyncResult('tc-never-' + randomUUID());
    child.parent = parent;
    const backend = (await app.backend())!;
    const boom = new Error('parent broke');
    boom.name = 'KeyError';
    await backend.markAsFailure(parent.id, boom);
    ids.add(parent.id);
    await expect(child.get({ timeout: 5, interval: 0.05 })).rejects.toMatchObject({ name: 'KeyError' });
    await expect(child.get({ timeout: 0.3, followParents: false })).rejects.toMatchObject({ code: 'CQ_APP_TIMEOUT' });
  });

  it('GroupResult: join with a callback in order, revoke() every member, forget() them', async () => {
    const g = await group(signature(add, [1, 1]), signature(add, [2, 2])).applyAsync();
    groupIds.add(g.id);
    const got: Array<[string, unknown]> = [];
    expect(await g.join({ timeout: 10, callback: (id, v) => got.push([id, v]) })).toEqual([]);
    expect(got).toEqual([[g.results[0]!.id, 2], [g.results[1]!.id, 4]]);
    await g.forget();
    expect(await Promise.all(g.results.map((m) => m.state()))).toEqual(['PENDING', 'PENDING']);
    const held = await group(signature(sleepy, [10]), signature(sleepy, [10])).applyAsync([], { countdown: 1 });
    groupIds.add(held.id);
    await held.revoke({ wait: true, timeout: 2 });
    await until(async () => (await Promise.all(held.results.map((m) => m.state()))).every((s) => s === 'REVOKED'), 5000);
  });
});
