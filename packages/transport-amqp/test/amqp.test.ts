/**
 * Live tests against RabbitMQ at 127.0.0.1:5672 (guest/guest, vhost /): interop of header tables with
 * Python kombu, priorities, publisher confirms and reconnect after a server-side close.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, parseUrl, type Delivery, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { requireCommand, requirePython } from '@cq/tooling/testing';
import { AmqpTransport, transport } from '../src/index.js';

const URL = 'amqp://guest:guest@127.0.0.1:5672//';
const open: AmqpTransport[] = [];
const created: string[] = [];

const connect = async (options: Record<string, unknown> = {}) => {
  const t = transport.create(parseUrl(URL), options) as AmqpTransport;
  await t.connect();
  open.push(t);
  return t;
};
const uniq = (prefix: string) => { const name = `cq.test.${prefix}.${randomUUID().slice(0, 8)}`; created.push(name); return name; };
const raw = (text: string, extra: Partial<RawMessage> = {}): RawMessage => ({
  body: Buffer.from(text), contentType: 'application/json', contentEncoding: 'utf-8', headers: {}, properties: {}, ...extra,
});
const queueDecl = (name: string, args: Record<string, unknown> = {}) => ({ name, durable: false, exclusive: false, autoDelete: false, arguments: args });
const python = (script: string, ...args: string[]) => execFileSync(requirePython(['kombu']), ['-c', script, ...args], { timeout: 20_000 }).toString();

/** Exchanges that Python kombu declared as a side effect (named like their queue). */
const pyExchanges: string[] = [];

afterEach(async () => {
  if (pyExchanges.length) {
    python(['import sys', 'from kombu import Connection', 'with Connection(sys.argv[1]) as c:',
      '    for name in sys.argv[2:]: c.default_channel.exchange_delete(name)'].join('\n'), URL, ...pyExchanges.splice(0));
  }
  const cleaner = await connect();
  for (const name of created.splice(0)) {
    const ch = await cleaner.createChannel();
    await ch.deleteQueue(name).catch(() => undefined);
  }
  for (const t of open.splice(0)) await t.close();
});

describe('header tables with Python kombu', () => {
  it('Python reads the integers we publish', async () => {
    const ch = await (await connect()).createChannel();
    const q = uniq('to-py');
    pyExchanges.push(q);
    await ch.declareQueue(queueDecl(q));
    const headers = { mid: 300, big: 70000, neg: -1, huge: 2 ** 40, timelimit: [null, 10], stamps: {} };
    await ch.publish(raw('{}', { headers }), '', q);
    const seen = python([
      'import sys, json', 'from kombu import Connection',
      'with Connection(sys.argv[1]) as c:',
      '    m = c.SimpleQueue(sys.argv[2], no_ack=True, queue_opts={"durable": False}).get(timeout=5)',
      '    print(json.dumps(m.headers))',
    ].join('\n'), URL, q);
    expect(JSON.parse(seen)).toEqual(headers);
  });

  it('we decode what Python publishes, including int64 (L) values', async () => {
    const ch = await (await connect()).createChannel();
    const q = uniq('from-py');
    await ch.declareQueue(queueDecl(q));
    python([
      'import sys', 'from kombu import Connection',
      'with Connection(sys.argv[1]) as c:',
      '    c.default_channel.basic_publish(c.default_channel.prepare_message("x", content_type="text/plain", content_encoding="utf-8", headers={"huge": 2**40, "neg": -(2**40), "mid": 300, "tl": [None, 10], "d": {"x": 2**33}}), exchange="", routing_key=sys.argv[2])',
    ].join('\n'), URL, q);
    const d = await ch.get(q, { noAck: true });
    expect(d!.headers).toEqual({ huge: 2 ** 40, neg: -(2 ** 40), mid: 300, tl: [null, 10], d: { x: 2 ** 33 } });
  });
});

describe('declarations shared with Python kombu', () => {
  it('re-declares a queue Python declared with arguments, without 406 PRECONDITION_FAILED', async () => {
    const q = uniq('py-decl');
    pyExchanges.push(q);
    python([
      'import sys', 'from kombu import Connection, Queue, Exchange',
      'with Connection(sys.argv[1]) as c:',
      '    Queue(sys.argv[2], Exchange(sys.argv[2], "direct", durable=False, auto_delete=True), routing_key=sys.argv[2], durable=False, auto_delete=True,',
      '          expires=10, message_ttl=300, max_priority=10)(c.default_channel).declare()',
    ].join('\n'), URL, q);
    const ch = await (await connect()).createChannel();
    const decl = { name: q, durable: false, exclusive: false, autoDelete: true, arguments: { 'x-expires': 10000, 'x-message-ttl': 300000, 'x-max-priority': 10 } };
    await expect(ch.declareQueue(decl)).resolves.toEqual({ messageCount: 0 });
    await expect(ch.declareQueue({ ...decl, arguments: { 'x-expires': 10000 } })).rejects.toThrow(/PRECONDITION_FAILED/);
  });
});

describe('AMQP features', () => {
  it('delivers higher priorities first on an x-max-priority queue, and re-declares it without 406', async () => {
    const ch = await (await connect()).createChannel();
    const q = uniq('prio');
    await ch.declareQueue(queueDecl(q, { 'x-max-priority': 10 }));
    for (const p of [1, 9, 5, 0]) await ch.publish(raw(`p${p}`, { properties: { priority: p } }), '', q);
    await ch.declareQueue(queueDecl(q, { 'x-max-priority': 10 }));
    const order: string[] = [];
    for (let d = await ch.get(q, { noAck: true }); d; d = await ch.get(q, { noAck: true })) order.push(d.body.toString());
    expect(order).toEqual(['p9', 'p5', 'p1', 'p0']);
    await expect(ch.declareQueue(queueDecl(q, { 'x-max-priority': 5 }))).rejects.toThrow(/PRECONDITION_FAILED/);
    expect(await ch.purge(q)).toBe(0); // the channel reopens after the channel error
  });

  it('maps 404 to NotFoundError', async () => {
    const ch = await (await connect()).createChannel();
    await expect(ch.get(`cq.test.missing.${randomUUID()}`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('resolves publish after the broker confirmed it (confirm_publish)', async () => {
    const t = await connect({ confirm_publish: true });
    const ch = await t.createChannel();
    const q = uniq('confirm');
    await ch.declareQueue(queueDecl(q));
    await Promise.all(Array.from({ length: 50 }, (_, i) => ch.publish(raw(`m${i}`), '', q)));
    expect((await ch.declareQueue(queueDecl(q))).messageCount).toBe(50);
    await expect(ch.publish(raw('x'), `cq.test.no-such-exchange.${randomUUID()}`, 'k')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reconnects after the server closes the connection: consumer resumes, no confirmed message lost', async () => {
    const t = await connect({ interval_start: 0.2, interval_step: 0.2, interval_max: 1 });
    const ch = await t.createChannel();
    const q = uniq('reconnect');
    await ch.declareQueue({ ...queueDecl(q), durable: true });
    const got: Delivery[] = [];
    await ch.consume(q, (d) => { got.push(d); void ch.ack(d.deliveryTag); });
    for (let i = 0; i < 5; i++) await ch.publish(raw(`a${i}`), '', q);
    await waitUntil(() => got.length === 5);
    const staleTag = got[0]!.deliveryTag;

    closeFromServer(t);
    // published while the connection is going down: each resolves only once confirmed after the reconnect
    for (let i = 0; i < 5; i++) await ch.publish(raw(`b${i}`), '', q);
    expect(t.reconnects).toBe(1);
    const bodies = () => new Set(got.map((d) => d.body.toString()));
    await waitUntil(() => ['b0', 'b1', 'b2', 'b3', 'b4'].every((b) => bodies().has(b)), 10_000);
    await ch.ack(staleTag); // from the dead channel: ignored, must not close the new one
    await ch.publish(raw('c'), '', q);
    await waitUntil(() => got.some((d) => d.body.toString() === 'c'));
  }, 30_000);

  it('does not re-declare a deleted exchange, or its bindings, after a reconnect', async () => {
    const t = await connect({ interval_start: 0.2, interval_step: 0.2, interval_max: 1 });
    const ch = await t.createChannel();
    const q = uniq('exdel');
    const ex = `cq.test.exdel.${randomUUID().slice(0, 8)}`;
    await ch.declareExchange({ name: ex, type: 'direct', durable: false, autoDelete: false, arguments: {} });
    await ch.declareQueue(queueDecl(q));
    await ch.bindQueue({ queue: q, exchange: ex, routingKey: 'k', arguments: {} });
    await ch.deleteExchange(ex);
    closeFromServer(t);
    await waitUntil(() => t.reconnects === 1 && t.isConnected, 10_000);
    await ch.declareQueue(queueDecl(q)); // the channel is open again, with what it remembers re-declared
    const probe = await (await connect({ confirm_publish: true })).createChannel();
    const refused = await probe.publish(raw('x'), ex, 'k').then(() => null, (err: unknown) => err);
    if (refused === null) await (await t.createChannel()).deleteExchange(ex); // re-declared: do not leave it behind
    expect(refused).toBeInstanceOf(NotFoundError);
  }, 30_000);
});

/** Closes this transport's connection from the broker side (320 CONNECTION_FORCED) via rabbitmqctl. */
function closeFromServer(t: AmqpTransport): void {
  const model = (t as unknown as { current: { connection: { stream: { localPort: number } } } }).current;
  const port = model.connection.stream.localPort;
  const rows = execFileSync(requireCommand('rabbitmqctl', 'rabbitmq-server'), ['list_connections', '-q', 'pid', 'peer_port']).toString().trim().split('\n');
  const row = rows.map((r) => r.split('\t')).find((cols) => Number(cols[1]) === port);
  if (!row) throw new Error(`no broker connection with peer port ${port}`);
  execFileSync(requireCommand('rabbitmqctl', 'rabbitmq-server'), ['close_connection', row[0]!, 'cq transport-amqp reconnect test']);
}

