/**
 * Events across languages, on Redis (DB 14; `celeryev` is PUB/SUB there) and RabbitMQ (`celeryev`
 * topic exchange): Python's `celery events --dump` prints a cq worker's task and heartbeat events,
 * and `cq events --dump` prints a Python worker's (started with -E).
 */
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/celery';
import { AMQP, deleteAmqp, deleteRedisKeys, redisDb, runSuffix } from './brokers.js';
import { requirePython, spawnTracked } from '@cq/tooling/testing';
import { pythonSend, repoRoot, startCqWorker, startPythonWorker, stop, type Proc, type Urls } from './helpers.js';

const suffix = runSuffix();
const REDIS = 'redis://127.0.0.1:6379/14';
const brokers = [
  { name: 'Redis', broker: REDIS },
  { name: 'RabbitMQ', broker: AMQP },
];

function collect(args: string[], command: string): Proc {
  const child = spawnTracked(command, args, { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] }) as Proc;
  child.log = [];
  child.stdout!.on('data', (d: Buffer) => child.log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.log.push(d.toString()));
  return child;
}

async function untilLogged(proc: Proc, pattern: RegExp, timeoutMs: number, other?: Proc): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = proc.log.join('');
    const m = pattern.exec(text);
    if (m) return m[0];
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}\n--- other:\n${other?.log.join('') ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Binding members of `_kombu.binding.celeryev` (DB 14) before the tests: new ones are ours to remove. */
let bindingsBefore: string[] = [];
const queues: string[] = [];
const taskIds: string[] = [];

afterAll(async () => {
  await deleteRedisKeys(14, suffix, taskIds.map((id) => `celery-task-meta-${id}`));
  const r = redisDb(14);
  try {
    const added = (await r.smembers('_kombu.binding.celeryev')).filter((m) => !bindingsBefore.includes(m));
    if (added.length > 0) await r.srem('_kombu.binding.celeryev', ...added);
    for (const key of await r.keys('_kombu.binding.*')) {
      const mine = (await r.smembers(key)).filter((m) => m.includes(suffix));
      if (mine.length > 0) await r.srem(key, ...mine);
    }
  } finally {
    r.disconnect();
  }
  await deleteAmqp(queues, queues);
});

describe.each(brokers)('events on $name', ({ name, broker }) => {
  // One queue per worker side, so a task meant for one never lands on the other.
  const cqUrls: Urls = { broker, backend: REDIS, queue: `cqt.ev.${name}.cq.${suffix}` };
  const pyUrls: Urls = { broker, backend: REDIS, queue: `cqt.ev.${name}.py.${suffix}` };
  queues.push(cqUrls.queue, pyUrls.queue);
  const procs: Proc[] = [];
  const client = new Celery('evinterop').configure({ brokerUrl: broker });
  afterAll(async () => {
    for (const p of procs) await stop(p);
    await client.close();
  });

  it("Python's celery events --dump prints a cq worker's task-succeeded and worker-heartbeat", async () => {
    if (name === 'Redis') {
      const r = redisDb(14);
      bindingsBefore = await r.smembers('_kombu.binding.celeryev');
      r.disconnect();
    }
    const dump = collect(['-m', 'celery', '-b', broker, 'events', '--dump'], requirePython(['celery']));
    procs.push(dump);
    await untilLogged(dump, /starting capture/, 20_000);
    const host = `cqev-${name}-${suffix}@evhost`;
    const worker = await startCqWorker(cqUrls, ['-E', '-n', host]);
    procs.push(worker);
    await untilLogged(dump, new RegExp(`${esc(host)} \\[[^\\]]+\\] heartbeat: active=0, clock=\\d+, freq=2, loadavg=\\[`), 20_000, worker);
    const result = await client.sendTask('ts.add', [2, 3], { queue: cqUrls.queue });
    taskIds.push(result.id);
    const line = await untilLogged(dump, new RegExp(`${esc(host)} \\[[^\\]]+\\] task succeeded: ts\\.add\\(${result.id}\\) args=\\(2, 3\\) kwargs=\\{\\} .*result=5, runtime=`), 20_000, worker);
    expect(line).toContain(`pid=${worker.pid}`);
    expect(dump.log.join('')).toMatch(new RegExp(`${esc(host)} \\[[^\\]]+\\] task received: ts\\.add\\(${result.id}\\)`));
  });

  it('cq events --dump prints a Python worker\'s task and heartbeat events', async () => {
    const dump = collect(['--conditions=@cq/source', '--import', 'tsx', path.join(repoRoot, 'apps/cli/src/bin.ts'), 'events', '--dump', '-b', broker], process.execPath);
    procs.push(dump);
    await untilLogged(dump, /starting capture/, 20_000);
    const worker = await startPythonWorker(pyUrls, ['-E']);
    procs.push(worker);
    const host = `py-${process.pid}@${os.hostname()}`;
    await untilLogged(dump, new RegExp(`${esc(host)} \\[[^\\]]+\\] heartbeat: active=\\d+, clock=\\d+, freq=2(\\.0)?, `), 20_000, worker);
    const [id] = await pythonSend(pyUrls, [{ name: 'py.add', args: [2, 3] }]);
    taskIds.push(id!);
    const line = await untilLogged(dump, new RegExp(`${esc(host)} \\[[^\\]]+\\] task succeeded: py\\.add\\(${id}\\) args=\\[2, 3\\] kwargs=\\{\\} .*result=5, runtime=`), 20_000, worker);
    expect(line).toMatch(/clock=\d+, local_received=[\d.]+, pid=\d+, /);
    expect(dump.log.join('')).toMatch(new RegExp(`task started: py\\.add\\(${id}\\)`));
    expect(dump.log.join('')).toContain('sw_ident=py-celery');
  });
});
