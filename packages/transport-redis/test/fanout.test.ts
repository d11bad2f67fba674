/**
 * Fanout exchanges are kombu's PUB/SUB: PUBLISH on `/<db>.<exchange>[/<routing_key>]`, PSUBSCRIBE by
 * the consumers, nothing written to lists. Checked raw, and with Python kombu on both ends.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Connection, Exchange, Queue, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { requirePython, spawnTracked } from '@cq/tooling/testing';
import { transport } from '../src/index.js';
import { TEST_URL, rawClient, uniq } from './helpers.js';

const redis = rawClient();
const subscriber = rawClient();
const open: Connection[] = [];
const connect = async () => {
  const conn = await new Connection(TEST_URL, { transport }).connect();
  open.push(conn);
  return conn;
};
const raw = (text: string): RawMessage => ({ body: Buffer.from(text), contentType: 'application/json', contentEncoding: 'utf-8', headers: { h: 1 }, properties: {} });
afterEach(async () => {
  for (const conn of open.splice(0)) await conn.close();
});
afterAll(async () => {
  await redis.quit();
  subscriber.disconnect();
});

describe('fanout exchanges over PUB/SUB', () => {
  it('PUBLISHes the envelope on /<db>.<exchange> and /<db>.<exchange>/<routing_key>, not to lists', async () => {
    const channel = await (await connect()).channel();
    const ex = new Exchange(uniq('bcast'), { type: 'fanout' });
    await ex.declare(channel);
    const seen: [string, string][] = [];
    subscriber.on('pmessage', (_p: string, ch: string, data: string) => seen.push([ch, data]));
    await subscriber.psubscribe(`/10.${ex.name}*`);
    await channel.publish(raw('"all"'), ex.name, '');
    await channel.publish(raw('"keyed"'), ex.name, 'worker.heartbeat');
    await waitUntil(() => seen.length === 2, 5000);
    expect(seen.map(([ch]) => ch)).toEqual([`/10.${ex.name}`, `/10.${ex.name}/worker.heartbeat`]);
    const env = JSON.parse(seen[0]![1]) as Record<string, any>;
    expect(Buffer.from(env.body, 'base64').toString()).toBe('"all"');
    expect(env.properties).toMatchObject({ body_encoding: 'base64', delivery_info: { exchange: ex.name, routing_key: '' } });
  });

  it('feeds every bound queue, in every connection, and keeps the kombu binding member', async () => {
    const ex = new Exchange(uniq('bcast'), { type: 'fanout', durable: false });
    const a = await (await connect()).channel();
    const b = await (await connect()).channel();
    const qa = new Queue(uniq('fa'), { exchange: ex, routingKey: '' });
    const qb = new Queue(uniq('fb'), { exchange: ex, routingKey: '' });
    await qa.declare(a);
    await qb.declare(b);
    expect((await redis.smembers(`_kombu.binding.${ex.name}`)).sort()).toEqual([`\x06\x16\x06\x16${qa.name}`, `\x06\x16\x06\x16${qb.name}`].sort());
    await a.publish(raw('"hello"'), ex.name, '');
    const got: string[] = [];
    await b.consume(qb.name, (d) => { got.push(d.body.toString()); void b.ack(d.deliveryTag); });
    await waitUntil(() => got.length === 1, 5000);
    expect((await a.get(qa.name, { noAck: true }))!.body.toString()).toBe('"hello"');
    expect(await redis.exists(qa.name, qb.name)).toBe(0);
  });

  it('deleteExchange drops the binding set and ends the subscriptions to a fanout exchange', async () => {
    const ex = new Exchange(uniq('bcastdel'), { type: 'fanout', durable: false });
    const channel = await (await connect()).channel();
    const q = new Queue(uniq('fdel'), { exchange: ex, routingKey: '' });
    await q.declare(channel);
    const topic = `/10.${ex.name}`;
    await channel.publish(raw('"before"'), ex.name, '');
    expect((await channel.get(q.name, { noAck: true }))?.body.toString()).toBe('"before"');
    await channel.deleteExchange(ex.name);
    // PUBLISH answers how many subscriptions received the message: none are left
    expect(await redis.exists(`_kombu.binding.${ex.name}`)).toBe(0);
    expect(await redis.publish(topic, 'x')).toBe(0);
    expect(await redis.publish(`${topic}/any.key`, 'x')).toBe(0);
    await channel.deleteQueue(q.name);
  });

  it('receives a Python broadcast and is received by a Python fanout consumer', async () => {
    const ex = new Exchange(uniq('pybcast'), { type: 'fanout', durable: false });
    const channel = await (await connect()).channel();
    const q = new Queue(uniq('mine'), { exchange: ex, routingKey: '' });
    await q.declare(channel);
    // Python consumer: subscribes, says READY, then prints the first broadcast it gets.
    const py = spawnTracked(requirePython(['kombu', 'redis']), ['-c', `
import json, sys, socket
from kombu import Connection, Exchange, Queue, Consumer, Producer
name = sys.argv[1]
with Connection(${JSON.stringify(TEST_URL)}) as c:
    ex = Exchange(name, type='fanout', durable=False)
    got = []
    with Consumer(c, [Queue(name + '.py', ex, auto_delete=True)], callbacks=[lambda body, m: (got.append([body, m.headers]), m.ack())], accept=['json']):
        try:
            c.drain_events(timeout=0.3)  # kombu subscribes on the first drain
        except socket.timeout:
            pass
        print('READY', flush=True)
        while not got:
            c.drain_events(timeout=10)
        Producer(c.default_channel, serializer='json').publish({'from': 'python'}, exchange=ex, routing_key='', headers={'x': 1})
    print(json.dumps(got[0]), flush=True)
`, ex.name]);
    const exited = once(py, 'exit');
    const lines = createInterface({ input: py.stdout! });
    const it = lines[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('READY');
    await channel.publish({ ...raw('{"from": "ts"}'), headers: { y: 2 } }, ex.name, '');
    const reply = JSON.parse((await it.next()).value as string) as [unknown, Record<string, unknown>];
    expect(reply[0]).toEqual({ from: 'ts' });
    expect(reply[1]).toMatchObject({ y: 2 });
    await exited;
    await waitUntil(async () => (await channel.declareQueue(q.toDeclaration())).messageCount === 2, 5000);
    const mine: string[] = [];
    for (let d = await channel.get(q.name, { noAck: true }); d; d = await channel.get(q.name, { noAck: true })) mine.push(d.body.toString());
    expect(mine.map((m) => JSON.parse(m))).toEqual([{ from: 'ts' }, { from: 'python' }]);
  });
});
