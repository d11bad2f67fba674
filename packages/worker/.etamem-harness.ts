// TEMP investigation harness (to be deleted): starts a worker with NODE flags from argv, pushes 100k ETA messages, reports RSS.
import { randomUUID } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { buildTaskMessage } from '@cq/app';
import { toEnvelope } from '@cq/kombu';

const flags = (process.env['H_FLAGS'] ?? '').split(' ').filter(Boolean);
const entry = (process.env['H_ENTRY'] ?? '--conditions=@cq/source --import tsx /work/main/apps/cli/src/bin.ts').split(' ');
const app = process.env['H_APP'] ?? '/work/main/packages/worker/test/fixtures/eta-park-app.ts';
const redis = new Redis(process.env['H_URL'] ?? 'redis://127.0.0.1:6379/8');
const queue = `cqt.etaharness.${randomUUID().slice(0, 8)}`;
const outFile = process.env['H_OUT'] ?? '/tmp/etamem/worker-out.log'; const out = openSync(outFile, 'w');
const options = { visibility_timeout: 10, unacked_restore_interval: 1 };
const direct = process.env['H_EXEC'] === '1';
const w = spawn(direct ? entry[0]! : process.execPath, [...(direct ? entry.slice(1) : [...flags, ...entry]), 'worker', '-A', app, '-b', '' + (process.env['H_URL'] ?? 'redis://127.0.0.1:6379/8') + '', '-P', 'async', '-c', '20', '-Q', queue, '-l', 'info', '--without-mingle', '--without-gossip', '--without-heartbeat'],
  { cwd: '/work/main', stdio: ['ignore', out, out], env: { ...process.env, CQ_ETA_TRANSPORT_OPTIONS: JSON.stringify(options) } });
const rssOf = () => { try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${w.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024; } catch { return 0; } };
try {
  for (let i = 0; i < 300 && !readFileSync(outFile, 'utf8').includes('ready.'); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  const ready = rssOf();
  let peak = ready;
  const timer = setInterval(() => { peak = Math.max(peak, rssOf()); }, 100);
  const start = Date.now();
  let batch = redis.pipeline();
  for (let n = 0; n < 100_000; n++) {
    const soon = process.env['H_SOON'] === '1' && n < 2000 && n % 10 === 0;
    const eta = soon ? start + 6000 + (n / 10) * 70 : start + 60_000 + ((n * 7919) % (59 * 60_000));
    const parts = buildTaskMessage({ name: 'etapark.stamp', id: randomUUID(), args: ['x', n], eta: new Date(eta), ignoreResult: true });
    const msg = { body: Buffer.from(JSON.stringify(parts.body)), contentType: 'application/json', contentEncoding: 'utf-8', headers: { ...parts.headers }, properties: { ...parts.properties } };
    batch.lpush(queue, JSON.stringify(toEnvelope(msg, '', queue)));
    if (n % 2000 === 1999) { await batch.exec(); batch = redis.pipeline(); }
  }
  await batch.exec();
  const published = Date.now();
  let snapped = false;
  for (;;) { const l = await redis.llen(queue); if (l === 0) break; if (process.env['H_SNAP'] && !snapped && l < 60_000) { snapped = true; w.kill('SIGUSR2'); } await new Promise((r) => setTimeout(r, 100)); }
  const drained = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  clearInterval(timer);
  peak = Math.max(peak, rssOf());
  console.log(`flags=[${flags.join(' ')}] entry=${entry.join(' ').slice(0, 60)} ready ${ready.toFixed(1)} peak ${peak.toFixed(1)} MiB; published ${published - start} ms, drained ${drained - start} ms; parked ${await redis.zcard(`_cq.eta.index\x06\x16${queue}`)}`);
} finally {
  w.kill('SIGTERM');
  await new Promise((r) => w.once('exit', r));
  await redis.del(queue, `_cq.eta.index\x06\x16${queue}`, `_cq.eta.messages\x06\x16${queue}`);
  redis.disconnect();
}
