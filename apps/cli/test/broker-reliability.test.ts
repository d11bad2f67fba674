/**
 * A worker killed with SIGKILL while it holds unacknowledged messages (acks_late) loses nothing on
 * the production brokers: RabbitMQ redelivers them as soon as the connection drops; Redis restores
 * them once they are older than the visibility timeout (shortened here to 2 s).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Celery } from '@cq/celery';
import { exited, startWorker, waitFor, type Sandbox } from './helpers.js';

const brokers = [
  { name: 'RabbitMQ', broker: 'amqp://guest:guest@127.0.0.1:5672//', backend: 'redis://127.0.0.1:6379/4' },
  { name: 'Redis', broker: 'redis://127.0.0.1:6379/5', backend: 'redis://127.0.0.1:6379/5' },
];

describe.each(brokers)('SIGKILL mid-task on $name', ({ broker, backend }) => {
  it('every unacked message is processed by the next worker', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-kill-'));
    const box: Sandbox = { dir, broker, backend, flags: ['-b', broker, '--result-backend', backend] };
    const queue = `kill.${randomUUID().slice(0, 8)}`;
    const log = path.join(dir, 'runs.log');
    const env = { CQ_TEST_LOG: log, CQ_TEST_VISIBILITY_TIMEOUT: '2' };
    const client = new Celery('client', { task_default_queue: queue }).configure({ brokerUrl: broker, resultBackend: backend });
    const n = 20;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => client.sendTask('proj.slow', [i, 200])));
    const first = await startWorker(box, ['-Q', queue, '-c', '4'], env);
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length >= 3, 20_000);
    first.kill('SIGKILL');
    await exited(first);
    const ranBefore = new Set(readFileSync(log, 'utf8').trim().split('\n'));
    expect(ranBefore.size).toBeLessThan(n);
    const second = await startWorker(box, ['-Q', queue, '-c', '8'], env);
    try {
      const values = await Promise.all(results.map((r) => r.get({ timeout: 60 })));
      expect(values).toEqual(Array.from({ length: n }, (_, i) => i * 2));
      expect(new Set(readFileSync(log, 'utf8').trim().split('\n')).size).toBe(n);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
      const conn = client.connection();
      const ch = await conn.channel();
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.deleteExchange(queue).catch(() => undefined);
      await conn.close();
      await client.close();
    }
  }, 90_000);
});
