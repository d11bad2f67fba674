// TEMP: plain ioredis pop loop
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 8, enableAutoPipelining: process.env['AP'] === '1' });
const queue = `cqt.etamicro2.${randomUUID().slice(0, 8)}`;
const payload = 'x'.repeat(1200);
let batch = redis.pipeline();
for (let n = 0; n < 100_000; n++) { batch.lpush(queue, `${n}${payload}`); if (n % 2000 === 1999) { await batch.exec(); batch = redis.pipeline(); } }
await batch.exec();
console.log('MARK consume');
let got = 0;
const mode = process.env['M_MODE'] ?? 'rpop';
while (got < 100_000) {
  const items = await redis.rpop(queue, 80);
  if (!items) break;
  if (mode === 'rpop') { got += items.length; continue; }
  await Promise.all(items.map(async (s) => { await redis.set(`${queue}:x`, s); got++; }));
}
console.log('MARK done');
await redis.del(queue, `${queue}:x`);
redis.disconnect();
