/**
 * Python kombu and Celery (Debian's kombu 5.2.4 and Celery 5.2.6, pymongo 3.11) and cq on one
 * MongoDB database, kombu's collections shared: messages cross both ways in priority order, a message
 * a cq consumer holds is invisible to Python until given back, Python's topic bindings route cq's
 * publishes, a Python fanout publish reaches a cq queue; a Python worker runs what a cq client sends
 * and a cq worker what a Python client sends (results in Redis).
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exchange, Queue, type Connection, type RawMessage } from '@cq/kombu';
import { cq, execFileTracked, requirePython, spawnTracked, stopTracked, waitFor, type CqProcess } from '@cq/tooling/testing';
import { app } from './fixtures/app.js';
import { connection, testDatabase } from './helpers.js';

const run = promisify(execFileTracked);
const url = testDatabase('cq_tp_interop');
const backend = 'redis://127.0.0.1:6379/9';
const pyDir = fileURLToPath(new URL('./py/', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
let python = '';
let conn: Connection;

beforeAll(async () => {
  python = requirePython(['celery', 'kombu', 'pymongo', 'redis']);
  conn = await connection(url, { polling_interval: 0.01 }).connect();
});
afterAll(async () => {
  await conn?.close();
  await app.close();
});
app.configure({ brokerUrl: url, resultBackend: backend });

/** Runs one kombu_peer.py command; resolves with its JSON. */
async function kombu(spec: Record<string, unknown>): Promise<any> {
  const { stdout } = await run(python, [`${pyDir}kombu_peer.py`, url, JSON.stringify(spec)], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const uniq = (prefix: string) => `${prefix}_${randomUUID().slice(0, 8)}`;
const text = (body: string, priority?: number): RawMessage => ({
  body: Buffer.from(body), contentType: 'text/plain', contentEncoding: 'utf-8', headers: {}, properties: priority === undefined ? {} : { priority },
});

describe('kombu ↔ cq on shared collections', () => {
  it('cq publishes, Python takes in kombu priority order', async () => {
    const ch = await conn.channel();
    const q = uniq('to_py');
    await new Queue(q).declare(ch);
    for (const [body, p] of [['low', 1], ['top', 9], ['mid', 5]] as const) await ch.publish(text(body, p), '', q);
    expect(await kombu({ cmd: 'get', queue: q, count: 5 })).toEqual([
      { body: 'top', priority: 9, redelivered: false }, { body: 'mid', priority: 5, redelivered: false }, { body: 'low', priority: 1, redelivered: false },
    ]);
  });

  it('Python cannot take a message a cq consumer holds; it can once cq gives it back, marked redelivered', async () => {
    const ch = await conn.channel();
    const q = uniq('held');
    await new Queue(q).declare(ch);
    await ch.publish(text('held'), '', q);
    const taken = await ch.get(q);
    expect(taken?.body.toString()).toBe('held');
    expect(await kombu({ cmd: 'get', queue: q, count: 1 })).toEqual([]);
    await ch.reject(taken!.deliveryTag, true);
    expect(await kombu({ cmd: 'get', queue: q, count: 1 })).toEqual([{ body: 'held', priority: 0, redelivered: true }]);
  });

  it('Python publishes, cq takes in priority order', async () => {
    const ch = await conn.channel();
    const q = uniq('from_py');
    await new Queue(q).declare(ch);
    await kombu({ cmd: 'put', queue: q, messages: [{ body: 'p2', priority: 2 }, { body: 'p8', priority: 8 }, { body: 'p0', priority: 0 }] });
    const got: string[] = [];
    for (let d = await ch.get(q); d; d = await ch.get(q)) {
      got.push(d.body.toString());
      await ch.ack(d.deliveryTag);
    }
    expect(got).toEqual(['p8', 'p2', 'p0']);
  });

  it("routes cq's publish through Python's topic binding, and delivers Python's fanout publish to a cq queue", async () => {
    const ch = await conn.channel();
    const topic = uniq('py_topic');
    const q = uniq('py_bound');
    await kombu({ cmd: 'bind_topic', exchange: topic, queue: q, key: 'stock.*' });
    await new Exchange(topic, { type: 'topic' }).declare(ch); // exchange types are per process, as in kombu
    await ch.publish(text('routed'), topic, 'stock.nyse');
    expect((await kombu({ cmd: 'get', queue: q, count: 2 })).map((m: { body: string }) => m.body)).toEqual(['routed']);

    const fanout = new Exchange(uniq('py_fanout'), { type: 'fanout', durable: false });
    const fq = new Queue(uniq('cq_fan'), { exchange: fanout });
    await fq.declare(ch);
    await kombu({ cmd: 'fanout', exchange: fanout.name, body: 'hello all' });
    await waitFor(async () => (await ch.get(fq.name, { noAck: true }))?.body.toString() === 'hello all', 5000, () => 'the broadcast did not arrive');
  });
});

describe('Celery ↔ cq over mongodb://', () => {
  const env = () => ({ ...process.env, CQ_MONGO_BROKER: url, CQ_MONGO_BACKEND: backend });

  /** Debian's Celery worker (py/mongo_tasks.py) consuming `queue`, once it is ready. */
  async function pythonWorker(queue: string): Promise<ReturnType<typeof spawnTracked>> {
    const proc = spawnTracked(python, ['-m', 'celery', '-A', 'mongo_tasks', 'worker', '-P', 'solo', '-Q', queue, '-l', 'info',
      '--without-mingle', '--without-gossip', '--without-heartbeat'], { cwd: pyDir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    for (const stream of [proc.stdout!, proc.stderr!]) stream.on('data', (d: Buffer) => output.push(d.toString()));
    try {
      await waitFor(() => output.join('').includes('ready.'), 30_000, () => `Celery worker did not start:\n${output.join('')}`);
    } catch (err) {
      await stopTracked(proc);
      throw err;
    }
    return proc;
  }

  it('a Python worker runs what a cq client sends: args, and a ValueError', async () => {
    const queue = uniq('py_worker');
    const proc = await pythonWorker(queue);
    try {
      const product = await app.sendTask('mgpy.mul', [6, 7], { queue });
      const boom = await app.sendTask('mgpy.boom', ['cq'], { queue });
      expect(await product.get({ timeout: 20 })).toBe(42);
      await expect(boom.get({ timeout: 20 })).rejects.toMatchObject({ name: 'ValueError', message: expect.stringContaining('python refused: cq') });
    } finally {
      await stopTracked(proc);
    }
  });

  it('a cq worker runs what a Python client sends: args, a keyword and an error', async () => {
    const queue = uniq('cq_worker');
    const proc: CqProcess = cq(['worker', '-A', fixture, '-b', url, '--result-backend', backend, '-P', 'async', '-Q', queue, '-l', 'info',
      '--without-mingle', '--without-gossip']);
    try {
      await waitFor(() => proc.err.join('').includes('ready.'), 30_000, () => `cq worker did not start:\n${proc.err.join('')}`);
      const { stdout } = await run(python, [`${pyDir}send_tasks.py`, queue], { cwd: pyDir, env: env(), timeout: 60_000 });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ sum: 42, refused: ['ValueError', 'refused: py'] });
    } finally {
      await stopTracked(proc);
    }
  });
});
