/**
 * Enqueue-time deduplication on the client side, over the in-process `memory://` broker (its
 * deduplicator and queues are this process's): what is sent, under which id, with which header, and
 * the options refused. Runs on real workers and real brokers are in @cq/worker's and
 * @cq/transport-postgres's tests.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, MemoryTransport, type TransportDefinition } from '@cq/kombu';
import { Celery } from './app.js';
import {
  DEDUPLICATION_HEADER, getDeduplicationTaskId, readDeduplicationHeader, removeDeduplicationKey, task_deduplicated,
} from './deduplication.js';
import { DeduplicationOptionsError, DeduplicationUnsupportedError, QueueNotFound } from './errors.js';

const apps: Celery[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function makeApp(extra: Record<string, unknown> = {}): { app: Celery; queue: string; broker: string } {
  const broker = `memory://dedup-${randomUUID().slice(0, 8)}`;
  const queue = 'dq';
  const app = new Celery('dedup', { broker_url: broker, task_default_queue: queue, ...extra });
  apps.push(app);
  return { app, queue, broker };
}

/** The messages waiting in `queue` of the memory broker `broker`, taken (acked) in order. */
async function drain(broker: string, queue: string): Promise<Array<{ headers: Record<string, unknown>; body: unknown }>> {
  const conn = await new Connection(broker).connect();
  try {
    const channel = await conn.channel();
    const out: Array<{ headers: Record<string, unknown>; body: unknown }> = [];
    for (;;) {
      const d = await channel.get(queue, { noAck: true });
      if (!d) return out;
      out.push({ headers: d.headers, body: JSON.parse(d.body.toString()) });
    }
  } finally {
    await conn.close();
  }
}

describe('applyAsync with deduplicationId', () => {
  it('simple: 100 concurrent calls send one message; every call gets its task id', async () => {
    const { app, queue, broker } = makeApp();
    const add = app.task('t.add', (x: number, y: number) => x + y);
    const seen: string[] = [];
    const off = task_deduplicated.connect(({ taskId, mode }) => { seen.push(`${mode}:${taskId}`); }, { sender: 't.add' });
    try {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => add.applyAsync([i, 1], { deduplicationId: 'user:1' })));
      const ids = new Set(results.map((r) => r.id));
      expect(ids.size).toBe(1);
      const [id] = ids;
      const sent = await drain(broker, queue);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.headers['id']).toBe(id);
      const header = readDeduplicationHeader(sent[0]!.headers);
      expect(header).toMatchObject({ id: 'user:1', mode: 'simple' });
      expect(seen).toEqual(Array.from({ length: 99 }, () => `simple:${id}`));
      expect(await getDeduplicationTaskId(app, 't.add', 'user:1')).toBe(id);
      // Scoped by task name: another task with the same id is not deduplicated against it.
      const other = app.task('t.other', () => 1);
      expect((await other.applyAsync([], { deduplicationId: 'user:1' })).id).not.toBe(id);
      expect(await removeDeduplicationKey(app, 't.add', 'user:1')).toBe(true);
      expect((await add.applyAsync([0, 0], { deduplicationId: 'user:1' })).id).not.toBe(id);
    } finally {
      off();
    }
  });

  it('throttle: the same task within deduplicationTtl seconds, a new one after', async () => {
    const { app, queue, broker } = makeApp();
    const first = await app.sendTask('t.ping', [], { deduplicationId: 'p', deduplicationTtl: 0.3 });
    expect((await app.sendTask('t.ping', [], { deduplicationId: 'p', deduplicationTtl: 0.3 })).id).toBe(first.id);
    await new Promise((r) => setTimeout(r, 400));
    const second = await app.sendTask('t.ping', [], { deduplicationId: 'p', deduplicationTtl: 0.3 });
    expect(second.id).not.toBe(first.id);
    const sent = await drain(broker, queue);
    expect(sent.map((m) => m.headers['id'])).toEqual([first.id, second.id]);
    expect(readDeduplicationHeader(sent[0]!.headers)?.mode).toBe('throttle');
  });

  it('debounce: each call sends its arguments under the first call\'s id, due deduplicationTtl later, with its own stamp', async () => {
    const { app, queue, broker } = makeApp();
    const before = Date.now();
    const a = await app.sendTask('t.save', [1], { deduplicationId: 'doc', deduplicationTtl: 5, deduplicationMode: 'debounce', headers: { mine: 'x' } });
    const b = await app.sendTask('t.save', [2], { deduplicationId: 'doc', deduplicationTtl: 5, deduplicationMode: 'debounce' });
    expect(b.id).toBe(a.id);
    const sent = await drain(broker, queue);
    expect(sent.map((m) => (m.body as unknown[])[0])).toEqual([[1], [2]]);
    expect(sent[0]!.headers['mine']).toBe('x');
    const stamps = sent.map((m) => readDeduplicationHeader(m.headers)!.stamp);
    expect(new Set(stamps).size).toBe(2);
    for (const m of sent) {
      expect(m.headers['id']).toBe(a.id);
      const eta = Date.parse(String(m.headers['eta']));
      expect(eta).toBeGreaterThanOrEqual(before + 5000 - 5);
      expect(eta).toBeLessThanOrEqual(Date.now() + 5000 + 5);
    }
  });

  it('releases the key when the send fails, so the next call sends', async () => {
    const { app } = makeApp({ task_create_missing_queues: false });
    await expect(app.sendTask('t.x', [], { deduplicationId: 'k', queue: 'nowhere' })).rejects.toBeInstanceOf(QueueNotFound);
    expect(await getDeduplicationTaskId(app, 't.x', 'k')).toBeNull();
  });

  it('refuses options that do not fit together, before anything is claimed or sent', async () => {
    const { app } = makeApp();
    const bad: Array<Record<string, unknown>> = [
      { deduplicationId: '' },
      { deduplicationId: 'k', deduplicationTtl: 0 },
      { deduplicationId: 'k', deduplicationTtl: Number.NaN },
      { deduplicationId: 'k', deduplicationMode: 'throttle' },
      { deduplicationId: 'k', deduplicationMode: 'debounce' },
      { deduplicationId: 'k', deduplicationMode: 'simple', deduplicationTtl: 5 },
      { deduplicationId: 'k', deduplicationMode: 'sometimes' },
      { deduplicationId: 'k', deduplicationMode: 'debounce', deduplicationTtl: 5, countdown: 3 },
      { deduplicationId: 'k', transaction: { query: async () => ({ rows: [], rowCount: 0 }) } },
    ];
    for (const options of bad) {
      await expect(app.sendTask('t.x', [], options), JSON.stringify(options)).rejects.toBeInstanceOf(DeduplicationOptionsError);
    }
    expect(await getDeduplicationTaskId(app, 't.x', 'k')).toBeNull();
  });

  it('rejects with DeduplicationUnsupportedError naming the fix when neither broker nor backend keeps keys', async () => {
    /** The memory transport without its deduplicator, as a broker that keeps none (AMQP, SQS). */
    class Plain extends MemoryTransport {}
    Object.defineProperty(Plain.prototype, 'deduplicator', { value: undefined });
    const plain: TransportDefinition = { name: 'plain', create: (url, options) => new Plain({ name: url.hostname ?? '', ...options }) };
    const app = new Celery('dedup', { broker_url: 'plain://x' }, { plugins: [{ name: 'plain', install: (a) => { a.transports.register('plain', plain); } }] });
    apps.push(app);
    const err = await app.sendTask('t.x', [], { deduplicationId: 'k' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DeduplicationUnsupportedError);
    expect((err as DeduplicationUnsupportedError).code).toBe('CQ_APP_DEDUPLICATION_UNSUPPORTED');
    expect((err as Error).message).toContain('redis://');
    expect((err as Error).message).toContain('plain://x');
  });

  it('is no part of the message without deduplicationId', async () => {
    const { app, queue, broker } = makeApp();
    await app.sendTask('t.x', []);
    const [m] = await drain(broker, queue);
    expect(m!.headers).not.toHaveProperty(DEDUPLICATION_HEADER);
  });
});
