/**
 * Every canvas shape run end to end by a real worker, on the Redis broker and on RabbitMQ (Celery 5.2
 * `celery/canvas.py`, `celery/app/builtins.py`): chunks, xmap, xstarmap (also as the plain built-in
 * task a Python dict names), a group followed by a task in a chain (a chord, first, in the middle or
 * last-but-one), a group followed by a group or a chord (a chord with that body), a chord whose body
 * is a group, a chord inside a chain, groups of chains, chains, groups and chords inside a chord
 * header; and the error paths: a failing header task reaches the body's errback and fails the body
 * with ChordError, a failing link fails its own result and the rest of its chain.
 *
 * Broker: Redis db 2 or RabbitMQ, queue `cqt.canvas.shapes.<broker>.<random8>` on the default
 * exchange; results in Redis db 2. Every queue, result and chord key created is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, before_task_publish, createLogger, type AsyncResult, type TaskRequest } from '@cq/app';
import { GroupResult, chain, chord, chunks, group, immutable, signature, signatureFromDict, xmap, xstarmap } from '@cq/canvas';
import { Worker } from '@cq/worker';
import { tearDownCanvas } from './helpers.js';
import { testPlugins } from './plugins.js';

const REDIS_URL = 'redis://127.0.0.1:6379/2';
const BROKERS = { redis: REDIS_URL, amqp: 'amqp://guest:guest@127.0.0.1:5672//' } as const;
const TIMEOUT = { timeout: 20 };

describe.each(Object.keys(BROKERS) as Array<keyof typeof BROKERS>)('canvas shapes on %s', (broker) => {
  const prefix = `cqt.canvas.shapes.${broker}.${randomUUID().slice(0, 8)}`;
  const queue = prefix;
  const taskIds = new Set<string>();
  const groupIds = new Set<string>();
  /** Task name of every message sent to the queue, by id. */
  const taskNames = new Map<string, string>();
  const untrack = before_task_publish.connect(({ headers, routingKey }) => {
    if (routingKey !== queue) return;
    if (typeof headers['id'] === 'string') taskIds.add(headers['id']);
    if (typeof headers['id'] === 'string') taskNames.set(headers['id'], String(headers['task']));
    if (typeof headers['group'] === 'string') groupIds.add(headers['group']);
  }, { dispatchUid: `${prefix}.track` });

  const app = new Celery('shapes', {
    broker_url: BROKERS[broker], result_backend: REDIS_URL, result_expires: 600,
    task_default_queue: queue, task_default_exchange: '',
    broker_transport_options: broker === 'redis'
      ? { unacked_key: `${prefix}.unacked`, unacked_index_key: `${prefix}.unacked_index`, unacked_mutex_key: `${prefix}.unacked_mutex` }
      : {},
  }, { plugins: testPlugins() });
  app.log = createLogger({ level: 'critical' });

  const add = app.task('cqt.s.add', (x: number, y: number) => x + y);
  const mul = app.task('cqt.s.mul', (x: number, y: number) => x * y);
  const double = app.task('cqt.s.double', (x: number) => x * 2);
  const tsum = app.task('cqt.s.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
  const str = app.task('cqt.s.str', (x: number) => `<${x}>`);
  const ident = app.task('cqt.s.ident', (x: unknown) => x);
  const fail = app.task('cqt.s.fail', (x: unknown): number => {
    const err = new Error(`bad ${String(x)}`);
    err.name = 'ValueError';
    throw err;
  });
  /** "New style" errback, called in the worker with (request, error, traceback, tag). */
  const errbacks: Array<{ tag: string; id: string; error: string }> = [];
  const onError = app.task('cqt.s.on_error', (request: TaskRequest, error: Error, _traceback: string | null, tag: string) => {
    errbacks.push({ tag, id: request.id, error: `${error.name}: ${error.message}` });
  });
  /** Remembers a result whose task may never be published (a failed chord body, the rest of a failed chain). */
  const tracked = <T extends { id: string }>(result: T): T => {
    taskIds.add(result.id);
    return result;
  };
  const errbackOf = async (tag: string) => {
    for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      const found = errbacks.find((e) => e.tag === tag);
      if (found) return found;
    }
    return undefined;
  };

  let worker: Worker;
  beforeAll(async () => {
    worker = new Worker(app, {
      log: app.log, pool: 'async', concurrency: 20, hostname: `${prefix}@%h`, withoutGossip: true, withoutMingle: true, withoutHeartbeat: true,
    });
    await worker.start();
  });

  afterAll(async () => {
    untrack();
    await tearDownCanvas(worker, app, queue, taskIds, groupIds, async (redis) => {
      const keys = [...await redis.keys(`*${prefix}*`)];
      for (const gid of groupIds) keys.push(...await redis.keys(`celery-taskset-meta-${gid}*`));
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      for (const binding of await redis.keys('_kombu.binding.*')) {
        const members = (await redis.smembers(binding)).filter((m) => m.includes(prefix));
        if (members.length > 0) await redis.srem(binding, ...members);
      }
    });
  });

  describe('map, starmap, chunks', () => {
    it('xmap(double, [1, 2, 3]) runs as one celery.map task', async () => {
      const r = await xmap(double, [1, 2, 3]).applyAsync();
      expect(await r.get(TIMEOUT)).toEqual([2, 4, 6]);
      expect(taskNames.get(r.id)).toBe('celery.map');
    });

    it('xstarmap(add, [[1, 2], [3, 4]]) spreads each item', async () => {
      expect(await (await xstarmap(add, [[1, 2], [3, 4]]).applyAsync()).get(TIMEOUT)).toEqual([3, 7]);
    });

    it('chunks(add, 5 pairs, 2) is a group of 3 starmaps giving [[..], [..], [..]]', async () => {
      const res = await chunks(add, [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], 2).applyAsync();
      expect(res.results.map((x) => taskNames.get(x.id))).toEqual(['celery.starmap', 'celery.starmap', 'celery.starmap']);
      expect(await res.get(TIMEOUT)).toEqual([[2, 4], [6, 8], [10]]);
    });

    it('xmap and chunks inside a chain run as their built-in tasks and feed the next step', async () => {
      const r = await chain(xmap(double, [1, 2, 3]), signature(tsum), signature(str)).applyAsync();
      expect(await r.get(TIMEOUT)).toBe('<12>');
    });

    it('a chunks dict as Python sends it runs as celery.chunks and returns the GroupResult tuple', async () => {
      const r = await signatureFromDict(chunks(add, [[1, 2], [3, 4], [5, 6]], 2).toDict(), app).applyAsync() as AsyncResult<unknown>;
      expect(taskNames.get(r.id)).toBe('celery.chunks');
      const tuple = await r.get(TIMEOUT) as [[string, null], Array<[[string, null], null]>];
      groupIds.add(tuple[0][0]);
      for (const child of tuple[1]) taskIds.add(child[0][0]);
      const res = new GroupResult(tuple[0][0], tuple[1].map((child) => app.asyncResult(child[0][0])), app);
      expect(await res.get(TIMEOUT)).toEqual([[3, 7], [11]]);
    });
  });

  describe('a group followed by a task in a chain is a chord', () => {
    it('group | tsum (group first)', async () => {
      const r = await chain(group(signature(add, [1, 1]), signature(add, [2, 2])), signature(tsum)).applyAsync();
      expect(await r.get(TIMEOUT)).toBe(6);
    });

    it('add | group | tsum (group last-but-one): each member gets the previous result', async () => {
      const r = await chain(signature(add, [1, 2]), group(signature(add, [1]), signature(add, [2])), signature(tsum)).applyAsync();
      expect(await r.get(TIMEOUT)).toBe(9);
    });

    it('add | group | tsum | mul | str (group in the middle): the body continues the chain', async () => {
      const r = await chain(signature(add, [1, 1]), group(signature(add, [1]), signature(add, [10])), signature(tsum), signature(mul, [2]), signature(str))
        .applyAsync();
      expect(await r.get(TIMEOUT)).toBe('<30>');
    });

    it('two chords in one chain: group | tsum | group | tsum', async () => {
      const r = await chain(group(signature(add, [1, 1]), signature(add, [2, 2])), signature(tsum),
        group(signature(mul, [2]), signature(mul, [3])), signature(tsum)).applyAsync();
      expect(await r.get(TIMEOUT)).toBe(30);
    });
  });

  describe('a group followed by a group or a chord in a chain is a chord with that body', () => {
    it('group | group: each body member gets the header results list', async () => {
      const res = await chain(group(signature(add, [1, 1]), signature(add, [2, 2])), group(signature(ident), signature(tsum))).applyAsync();
      expect(res).toBeInstanceOf(GroupResult);
      expect(await res.get(TIMEOUT)).toEqual([[2, 4], 6]);
    });

    it('group | chord: each header member of the chord gets the list', async () => {
      const r = await chain(group(signature(add, [1, 1]), signature(add, [2, 2])), chord([signature(tsum), signature(tsum)], signature(tsum))).applyAsync();
      expect(await r.get(TIMEOUT)).toBe(12);
    });

    it('add | group | group | ident: the second group and ident make the inner chord', async () => {
      const r = await chain(signature(add, [1, 1]), group(signature(add, [1]), signature(add, [2])), group(signature(tsum), signature(ident)), signature(ident)).applyAsync();
      expect(await r.get(TIMEOUT)).toEqual([7, [3, 4]]);
    });

    it('a chord whose body is a group, built directly', async () => {
      const res = await chord([signature(add, [1, 1]), signature(add, [2, 2])], group(signature(ident), signature(tsum))).applyAsync();
      expect(await res.get(TIMEOUT)).toEqual([[2, 4], 6]);
    });
  });

  describe('nested shapes', () => {
    it('a chord inside a chain, first and in the middle', async () => {
      const first = await chain(chord([signature(add, [1, 1]), signature(add, [2, 2])], signature(tsum)), signature(mul, [10])).applyAsync();
      expect(await first.get(TIMEOUT)).toBe(60);
      const middle = await chain(signature(add, [1, 1]), chord([signature(add, [1]), signature(add, [2])], signature(tsum)), signature(str)).applyAsync();
      expect(await middle.get(TIMEOUT)).toBe('<7>');
    });

    it('a group last in a chain gives its GroupResult, each member getting the previous result', async () => {
      const res = await chain(signature(add, [1, 1]), group(signature(add, [1]), signature(mul, [5]))).applyAsync();
      expect(res).toBeInstanceOf(GroupResult);
      expect(await res.get(TIMEOUT)).toEqual([3, 10]);
    });

    it('a group of chains', async () => {
      const res = await group(chain(signature(add, [1, 1]), signature(mul, [2])), chain(signature(add, [2, 2]), signature(mul, [3]))).applyAsync();
      expect(await res.get(TIMEOUT)).toEqual([4, 12]);
    });

    it('chains, a group and a chord inside a chord header, counted as Celery counts them', async () => {
      const r = await chord([
        chain(signature(add, [1, 1]), signature(mul, [10])),            // 20, counts 1
        group(signature(add, [1, 2]), signature(add, [3, 4])),           // 3, 7: unrolled, counts 2
        chord([signature(add, [2, 2]), signature(add, [3, 3])], signature(tsum)), // 10 through its body, counts 1
        immutable(add, [100, 0]),                                        // 100
      ], signature(tsum)).applyAsync();
      expect(await r.get(TIMEOUT)).toBe(140);
    });

    it('a chord whose body is a chain', async () => {
      const r = await chord([signature(add, [1, 1]), signature(add, [2, 2])], chain(signature(tsum), signature(str))).applyAsync();
      expect(await r.get(TIMEOUT)).toBe('<6>');
    });
  });

  describe('error paths', () => {
    it("a failing header task fails the body with ChordError and reaches the body's errback", async () => {
      const tag = `${broker}-chord`;
      const c = chord([signature(add, [1, 1]), signature(fail, ['h'])], signature(tsum));
      c.linkError(signature(onError, [tag]));
      const r = tracked(await c.applyAsync());
      await expect(r.get(TIMEOUT)).rejects.toMatchObject({ name: 'ChordError', message: expect.stringContaining("raised ValueError('bad h')") });
      expect(await errbackOf(tag)).toMatchObject({ id: r.id, error: expect.stringContaining('ChordError') });
    });

    it("the same through a chain's group | task, with the chain's linkError on the body", async () => {
      const tag = `${broker}-chain-chord`;
      const c = chain(signature(add, [1, 1]), group(signature(add, [1]), signature(fail)), signature(tsum));
      c.linkError(signature(onError, [tag]));
      const r = tracked(await c.applyAsync());
      await expect(r.get(TIMEOUT)).rejects.toMatchObject({ name: 'ChordError', message: expect.stringContaining("raised ValueError('bad 2')") });
      expect(await errbackOf(tag)).toMatchObject({ id: r.id, error: expect.stringContaining('ChordError') });
    });

    it('a failing link callback fails its own result, not its parent', async () => {
      const linkId = randomUUID();
      const sig = signature(add, [2, 3]);
      sig.link(signature(fail).set({ taskId: linkId }));
      const parent = await sig.applyAsync();
      expect(await parent.get(TIMEOUT)).toBe(5);
      await expect(app.asyncResult(linkId).get(TIMEOUT)).rejects.toMatchObject({ name: 'ValueError', message: 'bad 5' });
    });

    it('a failing link in a chain fails the rest of the chain and calls its errback', async () => {
      const tag = `${broker}-chain`;
      const c = chain(signature(add, [1, 1]), signature(fail), signature(str));
      c.linkError(signature(onError, [tag]));
      const r = tracked(await c.applyAsync());
      await expect(r.get(TIMEOUT)).rejects.toMatchObject({ name: 'ValueError', message: 'bad 2' });
      expect(await errbackOf(tag)).toMatchObject({ error: 'ValueError: bad 2' });
    });
  });
});
