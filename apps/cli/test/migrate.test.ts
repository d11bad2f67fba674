/**
 * `cq migrate` from Redis (DB 0) to RabbitMQ: with `-a` 50 task messages move — the destination
 * holds them with the same body, headers and properties and the source is empty; without `-a` and
 * with `-n` they are copied and the source keeps its messages (Celery's behaviour). Queues and
 * exchanges are `cqt.mig.*` and removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, Connection, createLogger, decodeTaskMessage, type Channel } from '@cq/celery';
import { cqRun } from './helpers.js';

/** Broker URL schemes resolved as an app of @cq/celery resolves them. */
const transports = new Celery('cli-test').transports;

const REDIS = 'redis://127.0.0.1:6379/0';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const QUEUE = 'cqt.mig.tasks';
const producer = new Celery('mig', { broker_url: REDIS, task_default_queue: QUEUE });
producer.log = createLogger({ level: 'critical' });
const source = new Connection(REDIS, { transports });
const dest = new Connection(AMQP, { transports });
let src: Channel;
let dst: Channel;

beforeAll(async () => {
  src = await source.channel();
  dst = await dest.channel();
  await src.purge(QUEUE).catch(() => 0);
  await dst.purge(QUEUE).catch(() => 0);
});

afterAll(async () => {
  await producer.close();
  await src.deleteQueue(QUEUE).catch(() => 0);
  await dst.deleteQueue(QUEUE).catch(() => 0);
  await source.close();
  await dest.close();
  // The transport interface cannot delete exchanges: py-amqp (beside the Python Celery peer) does it.
  spawnSync('/usr/bin/python3', ['-c', `import amqp; c = amqp.Connection('127.0.0.1:5672'); c.connect(); c.channel().exchange_delete('${QUEUE}'); c.close()`]);
});

const ready = async (ch: Channel): Promise<number> => (await ch.declareQueue(producer.queue(QUEUE).toDeclaration())).messageCount;

describe('cq migrate', () => {
  it('moves 50 task messages from Redis to RabbitMQ with -a, unchanged', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await producer.sendTask('cqt.mig.add', [i, 1])).id);
    expect(await ready(src)).toBe(50);

    const { code, stdout, stderr } = await cqRun(['migrate', REDIS, AMQP, '-Q', QUEUE, '--ack-messages']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('Migrated 50 messages.\n');
    expect(await ready(src)).toBe(0);
    expect(await ready(dst)).toBe(50);

    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const d = await dst.get(QUEUE, { noAck: true });
      expect(d).not.toBeNull();
      expect(d!.contentType).toBe('application/json');
      const task = decodeTaskMessage(d!.headers, d!.properties, JSON.parse(d!.body.toString('utf8')));
      expect(task.name).toBe('cqt.mig.add');
      expect(task.args[1]).toBe(1);
      expect(d!.properties.correlation_id).toBe(task.id);
      seen.add(task.id);
    }
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it('copies without -a, stopping after -n messages; the source keeps them', async () => {
    for (let i = 0; i < 4; i++) await producer.sendTask('cqt.mig.add', [i, 2]);
    const { code, stdout } = await cqRun(['migrate', REDIS, AMQP, '-Q', QUEUE, '-n', '3']);
    expect(code).toBe(0);
    expect(stdout).toBe('Migrated 3 messages.\n');
    expect(await ready(dst)).toBe(3);
    expect(await ready(src)).toBe(4);
  });
});
