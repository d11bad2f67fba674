/**
 * Worker events on Redis (DB 14): a `cq worker -E` process sends Celery's task and worker events,
 * heartbeats every ~2 s, `worker-offline` on warm shutdown; a SIGKILLed worker drops out of the
 * cluster state after its heartbeat window; `cq events --dump` prints them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, EventReceiver, State, type CeleryEvent } from '@cq/celery';
import { cq, exited, repoRoot, waitFor } from './helpers.js';

const BROKER = 'redis://127.0.0.1:6379/14';
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const QUEUE = `cqt.ev.${suffix}`;
const fixture = path.join(repoRoot, 'apps/cli/test/fixtures/events-app.ts');

type Redis = { keys(p: string): Promise<string[]>; smembers(k: string): Promise<string[]>; srem(k: string, ...m: string[]): Promise<number>; del(...k: string[]): Promise<number>; quit(): Promise<unknown> };

/** Removes the keys and binding members this file created (all carry `suffix`). */
async function cleanRedis(): Promise<void> {
  const celery = createRequire(fileURLToPath(import.meta.resolve('@cq/celery')));
  const IORedis = (createRequire(celery.resolve('@cq/transport-redis'))('ioredis') as { Redis: new (url: string) => Redis }).Redis;
  const r = new IORedis(BROKER);
  try {
    for (const key of await r.keys('*')) {
      if (key.includes(suffix)) await r.del(key);
      else if (key.startsWith('_kombu.binding.')) {
        const mine = (await r.smembers(key)).filter((m) => m.includes(suffix));
        if (mine.length > 0) await r.srem(key, ...mine);
      }
    }
  } finally {
    await r.quit();
  }
}

function startWorker(name: string, extra: string[] = []) {
  return cq(['worker', '-A', fixture, '-b', BROKER, '-P', 'async', '-Q', QUEUE, '-n', `${name}-${suffix}@evhost`, '--no-banner', '-l', 'info', ...extra]);
}

afterAll(cleanRedis);

describe('cq worker events on Redis', () => {
  const client = new Celery('evclient').configure({ brokerUrl: BROKER });
  const events: CeleryEvent[] = [];
  const state = new State();
  const receiver = new EventReceiver({ app: client, handlers: { '*': (e) => { events.push(e); state.event(e); } } });
  const host = `w1-${suffix}@evhost`;
  let worker: ReturnType<typeof startWorker>;
  const of = (type: string, pred: (e: CeleryEvent) => boolean = () => true) => events.filter((e) => e.type === type && pred(e));
  const waitEvent = async (type: string, pred: (e: CeleryEvent) => boolean = () => true, ms = 15_000) => {
    await waitFor(() => of(type, pred).length > 0, ms, () => `no ${type}; got ${events.map((e) => e.type).join(' ')}\n${worker.err.join('')}`);
    return of(type, pred)[0]!;
  };

  beforeAll(async () => {
    await receiver.start();
    worker = startWorker('w1', ['-E']);
    await waitFor(() => worker.err.join('').includes('ready.'), 30_000, () => worker.err.join(''));
  });
  afterAll(async () => {
    if (worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGKILL');
      await exited(worker);
    }
    await receiver.close();
    await client.close();
  });

  it('sends worker-online, then worker-heartbeat every ~2 s with Celery fields', async () => {
    const online = await waitEvent('worker-online', (e) => e.hostname === host);
    await waitFor(() => of('worker-heartbeat', (e) => e.hostname === host).length >= 2, 10_000);
    const [hb1, hb2] = of('worker-heartbeat', (e) => e.hostname === host);
    for (const e of [online, hb1!, hb2!]) {
      expect(e).toMatchObject({ hostname: host, pid: worker.pid, freq: 2, sw_ident: 'cq', sw_sys: expect.any(String), sw_ver: expect.any(String), utcoffset: expect.any(Number) });
      expect(e['active']).toEqual(expect.any(Number));
      expect(e['processed']).toEqual(expect.any(Number));
      expect(e['loadavg']).toHaveLength(3);
    }
    expect(hb2!.clock!).toBeGreaterThan(hb1!.clock!);
    const gap = hb2!.timestamp! - hb1!.timestamp!;
    expect(gap).toBeGreaterThan(1.5);
    expect(gap).toBeLessThan(3.5);
    expect(state.workers.get(host)?.alive()).toBe(true);
  });

  it('sends task-received, task-started, task-succeeded with Celery fields', async () => {
    const result = await client.sendTask('ev.add', [2, 3], { queue: QUEUE });
    const succeeded = await waitEvent('task-succeeded', (e) => e['uuid'] === result.id);
    expect(succeeded).toMatchObject({ hostname: host, result: '5', runtime: expect.any(Number), pid: worker.pid });
    expect(of('task-received', (e) => e['uuid'] === result.id)[0]).toMatchObject({
      name: 'ev.add', args: '(2, 3)', kwargs: '{}', retries: 0, root_id: result.id, parent_id: null, eta: null, expires: null,
    });
    expect(of('task-started', (e) => e['uuid'] === result.id)).toHaveLength(1);
    const task = state.tasks.get(result.id)!;
    expect(task.state).toBe('SUCCESS');
    expect(task.name).toBe('ev.add');
    expect(task.worker?.hostname).toBe(host);
  });

  it('sends task-failed with the exception repr and traceback', async () => {
    const result = await client.sendTask('ev.fail', ['x'], { queue: QUEUE });
    const failed = await waitEvent('task-failed', (e) => e['uuid'] === result.id);
    expect(failed['exception']).toBe("ValueError('bad input: x')");
    expect(String(failed['traceback'])).toContain('bad input: x');
    expect(state.tasks.get(result.id)!.state).toBe('FAILURE');
  });

  it('sends task-retried, then the retry runs to task-succeeded', async () => {
    const result = await client.sendTask('ev.flaky', [], { queue: QUEUE });
    const retried = await waitEvent('task-retried', (e) => e['uuid'] === result.id);
    expect(retried['exception']).toBe("ValueError('try again')");
    await waitEvent('task-succeeded', (e) => e['uuid'] === result.id);
    expect(of('task-received', (e) => e['uuid'] === result.id).map((e) => e['retries'])).toEqual([0, 1]);
    // The retry may run before task-retried leaves (as in Celery), so the state's last word can be either.
    const task = state.tasks.get(result.id)!;
    expect(task.retried).toEqual(expect.any(Number));
    expect(task.succeeded).toEqual(expect.any(Number));
  });

  it('counts processed tasks in later heartbeats and sends worker-offline on warm shutdown', async () => {
    await waitFor(() => of('worker-heartbeat', (e) => e.hostname === host && Number(e['processed']) >= 4).length > 0, 10_000);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    await waitEvent('worker-offline', (e) => e.hostname === host, 5_000);
    expect(state.workers.has(host)).toBe(false);
  });
});

describe('liveness', () => {
  const client = new Celery('evclient2').configure({ brokerUrl: BROKER });
  const state = new State();
  const taskEvents: CeleryEvent[] = [];
  const receiver = new EventReceiver({ app: client, handlers: { '*': (e) => { if (e.type.startsWith('task-')) taskEvents.push(e); state.event(e); } } });
  afterAll(async () => {
    await receiver.close();
    await client.close();
  });

  it('without -E sends no task events; SIGKILLed, it is dead after freq × 2 without worker-offline', async () => {
    await receiver.start();
    const host = `w2-${suffix}@evhost`;
    const worker = startWorker('w2');
    try {
      await waitFor(() => state.workers.get(host)?.alive() === true, 30_000, () => worker.err.join(''));
      const result = await client.sendTask('ev.add', [1, 1], { queue: QUEUE });
      await waitFor(() => worker.err.join('').includes(`[${result.id}] succeeded`), 10_000, () => worker.err.join(''));
      await waitFor(() => (state.workers.get(host)?.heartbeats.length ?? 0) >= 2, 10_000);
      worker.kill('SIGKILL');
      await exited(worker);
      const killedAt = Date.now() / 1000;
      const w = state.workers.get(host)!;
      const expires = w.heartbeatExpires!;
      expect(expires - killedAt).toBeLessThanOrEqual(4.1);
      await waitFor(() => !w.alive(), 8_000, () => 'still alive');
      expect(state.aliveWorkers().map((x) => x.hostname)).not.toContain(host);
      expect(state.workers.has(host)).toBe(true); // no worker-offline arrived: it is kept, OFFLINE
      expect(taskEvents.filter((e) => e.hostname === host)).toEqual([]);
    } finally {
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    }
  });

  it('cq events --dump prints a worker heartbeat like celery events --dump', async () => {
    const dump = cq(['events', '--dump', '-b', BROKER]);
    const worker = startWorker('w3');
    try {
      await waitFor(() => dump.out.join('').includes(`w3-${suffix}@evhost [`), 30_000, () => dump.out.join('') + dump.err.join(''));
      const out = dump.out.join('');
      expect(out.split('\n')[0]).toBe('-> evdump: starting capture...');
      expect(out).toMatch(new RegExp(`w3-${suffix}@evhost \\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?\\] (started|heartbeat): active=0, clock=\\d+, freq=2, loadavg=\\[`));
    } finally {
      worker.kill('SIGTERM');
      dump.kill('SIGTERM');
      await exited(worker);
      expect(await exited(dump)).toBe(0);
    }
  });
});
