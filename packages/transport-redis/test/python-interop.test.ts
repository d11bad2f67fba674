/**
 * Cross-checks with Python kombu (Debian's 5.2.4 under /usr/bin/python3): Python publishes and cq
 * consumes, cq publishes and Python consumes, and each side restores the other's unacked entries.
 * Fails, naming the apt-get command, when `import kombu, redis` does.
 */
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, Producer, Queue, topicMatches, type Message } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { PYTHON, execFileTracked, requirePython } from '@cq/tooling/testing';
import { topicPattern, type RedisTransport } from '../src/index.js';
import { TEST_URL, connectionsClosedAfterEach, isolatedUnacked, rawClient, uniq } from './helpers.js';

const run = promisify(execFileTracked);

/** Runs `code` with `args` (JSON) in `ARGS` and the broker URL in `URL`; resolves with its JSON output. */
async function python(code: string, args: unknown = {}): Promise<any> {
  const prelude = `import json, os, sys\nfrom kombu import Connection, Exchange, Queue, Producer\nARGS = json.loads(sys.argv[1])\nURL = ${JSON.stringify(TEST_URL)}\n`;
  const { stdout } = await run(PYTHON, ['-c', prelude + code, JSON.stringify(args)], { timeout: 20_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const redis = rawClient();
const connect = connectionsClosedAfterEach();
afterAll(async () => {
  await redis.quit();
});

describe('interop with Python kombu', () => {
  beforeAll(() => { requirePython(['kombu', 'redis']); });

  it('consumes what a Python Producer published (body, headers, priority bucket, exchange)', async () => {
    const name = uniq('py2ts');
    await python(`
with Connection(URL) as c:
    ex = Exchange(ARGS['name'], type='direct')
    q = Queue(ARGS['name'], ex, routing_key=ARGS['name'])
    Producer(c.default_channel, serializer='json').publish(
        {'hello': 'from python', 'n': [1, 2.5, None]}, exchange=ex, routing_key=ARGS['name'], declare=[q],
        headers={'task': 'py.task', 'id': 'abc', 'timelimit': [None, None]}, priority=7)
print(json.dumps('ok'))
`, { name });
    expect(await redis.llen(`${name}\x06\x166`)).toBe(1);
    const channel = await (await connect()).channel();
    const got: Message[] = [];
    const consumer = new Consumer(channel, { queues: [new Queue(name)], callbacks: [async (_payload, m) => { got.push(m); await m.ack(); }] });
    await consumer.consume();
    await waitUntil(() => got.length === 1, 5000);
    await consumer.cancel();
    const m = got[0]!;
    expect(m.decode()).toEqual({ hello: 'from python', n: [1, 2.5, null] });
    expect(m.headers).toMatchObject({ task: 'py.task', id: 'abc', timelimit: [null, null] });
    expect(m.properties.priority).toBe(7);
    expect(m.deliveryInfo).toMatchObject({ exchange: name, routing_key: name });
  });

  it('publishes what a Python SimpleQueue receives (body, headers, priority, content type)', async () => {
    const name = uniq('ts2py');
    const channel = await (await connect()).channel();
    await new Producer(channel).publish({ hello: 'from ts', list: [1, 'two'] }, {
      routingKey: name, declare: [new Queue(name)], headers: { task: 'ts.task', id: 'xyz', retries: 0 }, priority: 5,
    });
    const out = await python(`
with Connection(URL) as c:
    sq = c.SimpleQueue(ARGS['name'])
    m = sq.get(block=True, timeout=5)
    m.ack()
    print(json.dumps({'payload': m.payload, 'headers': m.headers, 'content_type': m.content_type,
                      'priority': m.properties.get('priority'), 'delivery_info': m.delivery_info}))
    sq.close()
`, { name });
    expect(out.payload).toEqual({ hello: 'from ts', list: [1, 'two'] });
    expect(out.headers).toMatchObject({ task: 'ts.task', id: 'xyz', retries: 0 });
    expect(out.content_type).toBe('application/json');
    expect(out.priority).toBe(5);
    expect(out.delivery_info).toMatchObject({ exchange: '', routing_key: name });
  });

  it('lets Python restore an entry cq wrote to unacked, and cq restore an entry Python wrote', async () => {
    const keys = isolatedUnacked(uniq('pyvt'));
    const name = uniq('pyvt');
    const conn = await connect({ ...keys, visibility_timeout: 0.3, unacked_restore_interval: 3600 });
    const channel = await conn.channel();
    await new Producer(channel).publish({ n: 1 }, { routingKey: name, declare: [new Queue(name)] });
    const held = await channel.get(name);
    const tag = Object.keys(await redis.hgetall(keys.unacked_key!))[0]!;
    await python(`
with Connection(URL, transport_options=ARGS['keys']) as c:
    c.default_channel.qos.restore_by_tag(ARGS['tag'])
print(json.dumps('ok'))
`, { keys, tag });
    const back = await channel.get(name);
    expect(back!.redelivered).toBe(true);
    expect(JSON.parse(back!.body.toString())).toEqual({ n: 1 });
    await channel.ack(back!.deliveryTag);
    await channel.ack(held!.deliveryTag);
    expect(await redis.hlen(keys.unacked_key!)).toBe(0);

    // Python takes without acking and dies: its unacked entry is left for a sweep to restore.
    await new Producer(channel).publish({ n: 2 }, { routingKey: name });
    await python(`
c = Connection(URL, transport_options=ARGS['keys'])
sq = c.SimpleQueue(ARGS['name'])
m = sq.get(block=True, timeout=5)
print(json.dumps(m.payload)); sys.stdout.flush(); os._exit(0)
`, { keys, name });
    expect(await redis.hlen(keys.unacked_key!)).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await (conn.transport as RedisTransport).restoreVisible()).toBe(1);
    const again = await channel.get(name);
    expect(JSON.parse(again!.body.toString())).toEqual({ n: 2 });
    expect(again!.redelivered).toBe(true);
    await channel.ack(again!.deliveryTag);
  });

  it('writes topic patterns that Python re.match agrees with', async () => {
    const cases: [string, string][] = [['stock.*.eur', 'stock.nyse.eur'], ['stock.*.eur', 'stock.nyse.usd'], ['stock.#', 'stock.a.b'], ['a-b.#', 'a-b'], ['*.x', 'y.x']];
    const out = (await python(`
import re
print(json.dumps([bool(re.match(p, k)) for p, k in ARGS]))
`, cases.map(([rk, key]) => [topicPattern(rk), key]))) as boolean[];
    expect(out).toEqual([true, false, true, false, true]);
    expect(out.slice(0, 3)).toEqual(cases.slice(0, 3).map(([rk, key]) => topicMatches(rk, key)));
  });
});
