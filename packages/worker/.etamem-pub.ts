// TEMP: publish throughput with/without auto-pipelining through the cq transport
import { randomUUID } from 'node:crypto';
import { Celery } from '@cq/app';
import { redisTransport } from '@cq/transport-redis';
const url = process.env['H_URL'] ?? 'redis://127.0.0.1:6391/0';
const app = new Celery('pub', { broker_url: url, task_ignore_result: true }, { plugins: [redisTransport()] });
const queue = `cqt.pub.${randomUUID().slice(0, 8)}`;
await app.sendTask('x.y', [0], { queue });
for (const conc of [1, 100, 1000]) {
  const start = Date.now(); let n = 0;
  while (n < 20_000) { await Promise.all(Array.from({ length: conc }, () => app.sendTask('x.y', [n++], { queue }))); }
  console.log(`AP=${process.env['CQ_EXP_AP'] ?? '1'} concurrency ${conc}: ${(20_000 / ((Date.now() - start) / 1000)).toFixed(0)} publishes/s`);
}
await app.close();
