/**
 * Gossip step against Redis db 14: two in-process workers see each other through their `worker-*`
 * events, the one still running forgets the other when it stops (warm), and `withoutGossip` leaves
 * the step out. Queues are `cqt.gossip.*` (the gossip queue too, via `event_queue_prefix`).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, createLogger, type Logger } from '@cq/app';
import { GossipStep, Worker } from '@cq/worker';
import { testPlugins } from './plugins.js';

const REDIS_URL = 'redis://127.0.0.1:6379/14';
const run = randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** A logger that keeps its lines (as `level: msg`) for the assertions. */
function recordingLog(lines: string[]): Logger {
  const log = createLogger({ level: 'critical' });
  for (const level of ['info', 'warn'] as const) {
    (log as unknown as Record<string, (msg: string) => void>)[level] = (msg: string) => { lines.push(`${level}: ${msg}`); };
  }
  return log;
}

const apps: Celery[] = [];
const workers: Worker[] = [];

function makeApp(): Celery {
  const app = new Celery('gossip', {
    broker_url: REDIS_URL,
    task_default_queue: `cqt.gossip.q.${run}`,
    event_queue_prefix: `cqt.gossip.ev.${run}`,
  }, { plugins: testPlugins() });
  app.log = createLogger({ level: 'critical' });
  apps.push(app);
  return app;
}

async function startWorker(hostname: string, lines: string[], extra: { withoutGossip?: boolean } = {}): Promise<Worker> {
  const worker = new Worker(makeApp(), { pool: 'async', hostname, log: recordingLog(lines), ...extra });
  workers.push(worker);
  await worker.start();
  return worker;
}

// Db 14 is shared with other suites' workers: look at this run's nodes only.
const peerNames = (w: Worker) => w.consumer?.gossip?.peers().map((p) => p.hostname).filter((h) => h.includes(run)) ?? [];

afterAll(async () => {
  for (const w of workers) await w.shutdown('warm').catch(() => undefined);
  for (const app of apps) await app.close().catch(() => undefined);
  // Remove the keys and bindings of this run: every name (queues, hostnames) holds `run`.
  const redis = new Redis(REDIS_URL);
  const mine = (s: string) => s.includes(run);
  for (const key of await redis.keys('*')) {
    if (mine(key)) await redis.del(key);
    else if (key.startsWith('_kombu.binding.')) {
      const members = (await redis.smembers(key)).filter(mine);
      if (members.length > 0) await redis.srem(key, ...members);
      if ((await redis.scard(key)) === 0) await redis.del(key);
    }
  }
  await redis.quit();
});

describe('Gossip step (redis)', () => {
  it('two workers see each other, and the survivor marks the stopped one gone', async () => {
    const linesA: string[] = [];
    const linesB: string[] = [];
    const a = await startWorker(`a-${run}@x`, linesA);
    const b = await startWorker(`b-${run}@x`, linesB);
    expect(a.consumer?.blueprint.find(GossipStep)).toBeDefined();
    // Each gossip queue is bound to the event exchange with `worker.#`, as Celery's.
    const redis = new Redis(REDIS_URL);
    const bindings = (await redis.smembers('_kombu.binding.celeryev')).filter((m) => m.includes(`cqt.gossip.ev.${run}.`));
    await redis.quit();
    expect(bindings).toHaveLength(2);
    expect(bindings.every((m) => m.startsWith('worker.#'))).toBe(true);

    // Heartbeats every 2 s: a few of them are enough for both to know the other.
    expect(await until(() => peerNames(a).includes(b.hostname) && peerNames(b).includes(a.hostname), 10_000)).toBe(true);
    expect(peerNames(a)).toEqual([b.hostname]); // never itself
    expect(peerNames(b)).toEqual([a.hostname]);
    expect(linesA).toContain(`info: ${b.hostname} joined the party`);
    expect(linesB).toContain(`info: ${a.hostname} joined the party`);
    const peer = a.consumer!.gossip!.peers().find((p) => p.hostname === b.hostname)!;
    expect(peer.alive()).toBe(true);
    expect(peer.freq).toBe(2);

    // Warm stop of b sends worker-offline; a forgets it and says so.
    await b.shutdown('warm');
    expect(await until(() => peerNames(a).length === 0, 10_000)).toBe(true);
    expect(linesA).toContain(`info: ${b.hostname} left`);
  }, 30_000);

  it('forgets a peer whose heartbeats stopped, logging "missed heartbeat from"', async () => {
    const lines: string[] = [];
    const c = await startWorker(`a-${run}-lost@x`, lines);
    const gossip = c.consumer!.gossip!;
    // A peer that sent one heartbeat (freq 2 s) and then went silent: expired 4 s later.
    const now = Date.now() / 1000;
    gossip.state.event({ type: 'worker-heartbeat', hostname: `ghost-${run}@x`, freq: 2, timestamp: now, local_received: now, clock: 1 });
    expect(peerNames(c)).toContain(`ghost-${run}@x`);
    gossip.periodic(now + 1);
    expect(peerNames(c)).toContain(`ghost-${run}@x`);
    gossip.periodic(now + 5);
    expect(peerNames(c)).not.toContain(`ghost-${run}@x`);
    expect(lines).toContain(`warn: missed heartbeat from ghost-${run}@x`);
  }, 30_000);

  it('withoutGossip leaves the step out', async () => {
    const w = await startWorker(`b-${run}-alone@x`, [], { withoutGossip: true });
    expect(w.consumer?.blueprint.find(GossipStep)).toBeUndefined();
    expect(w.consumer?.gossip).toBeNull();
    expect(Object.keys(w.consumer!.info())).not.toContain('Gossip');
  }, 30_000);
});
