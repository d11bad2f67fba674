/**
 * The documents cq writes in kombu's MongoDB layout, without a server: each is compared with what
 * kombu's own code writes — Debian's kombu 5.2.4 `kombu/transport/mongodb.py`, whose `Channel._put`,
 * `_queue_bind`, `_new_queue` and `TopicExchange.key_to_pattern` run in Python against collections
 * that record the writes (test/py/kombu_documents.py) — and with the literal shapes read off that
 * source (kombu ≥ 5.3 writes the same fields; it adds the message's own `expiration` to `expire_at`).
 */
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { toEnvelope, type Envelope, type QueueDeclaration } from '@cq/kombu';
import { execFileTracked, requirePython } from '@cq/tooling/testing';
import {
  MAX_PRIORITY, argumentExpiry, broadcastDocument, envelopeOf, messageDocument, messageExpiry, queueDocument, routingDocument,
  storedPriority, topicPattern,
} from '../src/index.js';

const run = promisify(execFileTracked);
const script = fileURLToPath(new URL('./py/kombu_documents.py', import.meta.url));
let python = '';

beforeAll(() => { python = requirePython(['kombu', 'pymongo']); });

/** What kombu 5.2.4 writes for `spec` (see the script's docstring). */
async function kombu(spec: unknown): Promise<any> {
  const { stdout } = await run(python, [script, JSON.stringify(spec)], { timeout: 60_000 });
  return JSON.parse(stdout);
}

function envelope(priority: unknown, extra: Record<string, unknown> = {}): Envelope {
  const env = toEnvelope({
    body: Buffer.from('{"x": 1}'), contentType: 'application/json', contentEncoding: 'utf-8',
    headers: { task: 'proj.add', id: 'id-1' }, properties: { correlation_id: 'id-1', delivery_mode: 2, ...extra },
  }, '', 'celery');
  (env.properties as Record<string, unknown>).priority = priority;
  return env;
}

describe('messages collection', () => {
  it('writes {payload: <envelope JSON>, queue, priority: 9 - p}, as kombu _put', () => {
    const env = envelope(3);
    const doc = messageDocument('celery', env);
    expect(Object.keys(doc)).toEqual(['payload', 'queue', 'priority']);
    expect(doc.queue).toBe('celery');
    expect(doc.priority).toBe(6);
    expect(JSON.parse(doc.payload as string)).toEqual(env);
    expect(envelopeOf(doc)).toEqual(env);
    expect(messageDocument('q', env, null)).toMatchObject({ expire_at: null });
  });

  it('maps priorities as kombu _get_message_priority(reverse=True): clamped to 0..9, missing or unparsable is 0', () => {
    const cases: [unknown, number][] = [[undefined, 9], [null, 9], [0, 9], [1, 8], [5, 4], [9, 0], [12, 0], [255, 0], [-3, 9], ['7', 2], ['x', 9], [3.9, 6], [true, 8]];
    for (const [p, stored] of cases) expect([p, storedPriority(envelope(p))]).toEqual([p, stored]);
    expect(MAX_PRIORITY).toBe(9);
  });

  it('matches the document kombu 5.2.4 inserts, priorities and ttl expiry included', async () => {
    const priorities: unknown[] = [0, 1, 4, 9, 10, -1, '6', 'high', null];
    const envelopes = priorities.map((p) => envelope(p));
    const plain = await kombu({ put: envelopes.map((env) => ({ queue: 'celery', envelope: env })) });
    expect(plain.put).toEqual(envelopes.map((env) => ({ ...messageDocument('celery', env), payload: env })));
    // ttl: expire_at from the queue's x-message-ttl, read from its messages.queues document.
    const before = Date.now();
    const withTtl = await kombu({ ttl: true, queue_arguments: { q: { 'x-message-ttl': 5000 } }, put: [{ queue: 'q', envelope: envelopes[0] }] });
    const ours = messageExpiry({ 'x-message-ttl': 5000 }, envelopes[0]!, new Date());
    expect(Object.keys(withTtl.put[0])).toEqual(['payload', 'queue', 'priority', 'expire_at']);
    expect(withTtl.put[0].expire_at).toBeGreaterThanOrEqual(before + 5000);
    expect(Math.abs(withTtl.put[0].expire_at - ours!.getTime())).toBeLessThan(2000);
  });

  it('takes the earlier of the queue ttl and the message expiration (kombu ≥ 5.3), and no expiry without either', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const env = envelope(0, { expiration: '1500' });
    expect(messageExpiry({ 'x-message-ttl': 5000 }, env, now)).toEqual(new Date(now.getTime() + 1500));
    expect(messageExpiry({ 'x-message-ttl': 500 }, env, now)).toEqual(new Date(now.getTime() + 500));
    expect(messageExpiry({}, envelope(0), now)).toBeNull();
    expect(messageExpiry(null, env, now)).toEqual(new Date(now.getTime() + 1500));
    expect(argumentExpiry({ 'x-expires': 'soon' }, 'x-expires', now)).toBeNull();
  });

  it('reads old bytes payloads and marks a message put back by a sweep as redelivered', () => {
    const env = envelope(0);
    expect(envelopeOf({ payload: Buffer.from(JSON.stringify(env)) })).toEqual(env);
    const again = envelopeOf({ payload: JSON.stringify(env), redelivered: true });
    expect(again.properties.delivery_info.redelivered).toBe(true);
    expect(again.headers['redelivered']).toBe(true);
  });
});

describe('broadcast, routing and queue documents', () => {
  it('writes a fanout publish as {payload, queue: <exchange>} (kombu _put_fanout)', () => {
    const env = envelope(0);
    const doc = broadcastDocument('celery.pidbox', env);
    expect(Object.keys(doc)).toEqual(['payload', 'queue']);
    expect(doc.queue).toBe('celery.pidbox');
    expect(envelopeOf(doc)).toEqual(env);
  });

  it('writes topic patterns exactly as kombu TopicExchange.key_to_pattern', async () => {
    const keys = ['stock.*.eur', 'stock.#', '#', '*', '', 'a.b-c', 'ü.*.x', 'a*b.c#', 'dots..twice', 'sp ace/slash', 'celery.pidbox'];
    const { patterns } = await kombu({ patterns: keys });
    expect(keys.map(topicPattern)).toEqual(patterns);
    expect(topicPattern('stock.*.eur')).toBe('^stock\\..*?[^\\.]\\.eur$');
  });

  it('writes binding documents as kombu _queue_bind: lookup fields, topic pattern, null pattern otherwise', async () => {
    const bindings = [
      { exchange: 'ex.topic', type: 'topic', queue: 'q1', routing_key: 'stock.*.eur' },
      { exchange: 'ex.direct', type: 'direct', queue: 'q1', routing_key: 'k' },
      { exchange: 'ex.fanout', type: 'fanout', queue: 'q2', routing_key: '' },
    ] as const;
    const { bind } = await kombu({ bind: bindings });
    bindings.forEach((b, i) => {
      const ours = routingDocument({ exchange: b.exchange, queue: b.queue, routingKey: b.routing_key, arguments: {} }, b.type);
      expect(ours).toEqual(bind[i].doc);
      expect(bind[i].lookup).toEqual(ours);
      expect(bind[i].upsert).toBe(true);
    });
  });

  it('writes queue documents (ttl) as kombu _new_queue: declaration options and x-expires', async () => {
    const queue: QueueDeclaration = { name: 'q.ttl', durable: true, exclusive: false, autoDelete: true, arguments: { 'x-expires': 60000, 'x-message-ttl': 1000 } };
    const { declare } = await kombu({ ttl: true, declare: [{ name: queue.name, durable: true, exclusive: false, auto_delete: true, arguments: queue.arguments }] });
    const ours = queueDocument(queue, new Date());
    expect({ ...ours, expire_at: null }).toEqual({ ...declare[0], expire_at: null });
    expect(Math.abs(ours.expire_at!.getTime() - declare[0].expire_at)).toBeLessThan(2000);
    expect(queueDocument({ ...queue, arguments: {} }, new Date()).expire_at).toBeNull();
  });
});
