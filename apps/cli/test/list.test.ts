/**
 * `cq list bindings` on Redis (kombu's `_kombu.binding.*` sets, DB 0) and RabbitMQ: the app's custom
 * queue shows with its exchange and routing key in Celery's table. Queues and exchanges are `cqt.mig.*`
 * and removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, Connection } from '@cq/celery';
import { cqRun, repoRoot } from './helpers.js';

/** Broker URL schemes resolved as an app of @cq/celery resolves them. */
const transports = new Celery('cli-test').transports;

const REDIS = 'redis://127.0.0.1:6379/0';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const dir = mkdtempSync(path.join(repoRoot, 'apps/cli/.cq-test-list-'));
const appFile = path.join(dir, 'app.ts');
writeFileSync(appFile, `import { Celery, Exchange } from '@cq/celery';
export const app = new Celery('lister', {
  task_queues: [{ name: 'cqt.mig.list', exchange: new Exchange('cqt.mig.listex'), routingKey: 'cqt.mig.list.key' }],
});
`);

async function removeQueue(url: string): Promise<void> {
  const conn = new Connection(url, { transports });
  try {
    const ch = await conn.channel();
    await ch.deleteQueue('cqt.mig.list').catch(() => 0);
  } finally {
    await conn.close();
  }
}

afterAll(async () => {
  await removeQueue(REDIS);
  await removeQueue(AMQP);
  // The transport interface cannot delete exchanges: py-amqp (beside the Python Celery peer) does it.
  spawnSync('/usr/bin/python3', ['-c', "import amqp; c = amqp.Connection('127.0.0.1:5672'); c.connect(); c.channel().exchange_delete('cqt.mig.listex'); c.close()"]);
  rmSync(dir, { recursive: true, force: true });
});

const row = (q: string, e: string, r: string): string => `${q.padEnd(28)} ${e.padEnd(28)} ${r}`;

describe('cq list bindings', () => {
  for (const [broker, url] of [['Redis', REDIS], ['RabbitMQ', AMQP]] as const) {
    it(`shows the custom queue's exchange and routing key on ${broker}`, async () => {
      const { code, stdout, stderr } = await cqRun(['list', 'bindings', '-A', appFile, '-b', url]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const lines = stdout.split('\n');
      expect(lines[0]).toBe(row('Queue', 'Exchange', 'Routing Key'));
      expect(lines[1]).toBe(row('-'.repeat(16), '-'.repeat(16), '-'.repeat(16)));
      expect(lines).toContain(row('cqt.mig.list', 'cqt.mig.listex', 'cqt.mig.list.key'));
    });
  }

  it('on Redis lists bindings stored by other processes for the same exchange (--json)', async () => {
    const conn = new Connection(REDIS, { transports });
    try {
      const ch = await conn.channel();
      await ch.declareExchange({ name: 'cqt.mig.listex', type: 'direct', durable: true, autoDelete: false, arguments: {} });
      await ch.declareQueue({ name: 'cqt.mig.list.other', durable: true, exclusive: false, autoDelete: false, arguments: {} });
      await ch.bindQueue({ queue: 'cqt.mig.list.other', exchange: 'cqt.mig.listex', routingKey: 'cqt.mig.other.key', arguments: {} });
      const { code, stdout } = await cqRun(['list', 'bindings', '-A', appFile, '-b', REDIS, '--json']);
      expect(code).toBe(0);
      const rows = JSON.parse(stdout) as Array<Record<string, string>>;
      expect(rows).toContainEqual({ queue: 'cqt.mig.list', exchange: 'cqt.mig.listex', routingKey: 'cqt.mig.list.key' });
      expect(rows).toContainEqual({ queue: 'cqt.mig.list.other', exchange: 'cqt.mig.listex', routingKey: 'cqt.mig.other.key' });
      await ch.deleteQueue('cqt.mig.list.other');
    } finally {
      await conn.close();
    }
  });
});
