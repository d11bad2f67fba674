/**
 * Remote control across languages, on Redis (db 0) and RabbitMQ: Python's `celery inspect ping`,
 * `celery inspect active` and `celery control revoke` see and steer a cq worker (a revoked id
 * waiting in ETA is never run); `cq inspect ping` and `cq control rate_limit` see and steer a
 * Python worker; `cq status` lists both. Workers are addressed with `-d` since other test runs
 * share the `celery.pidbox` exchange; queues, task ids and keys are named `cqt.ctl.*`.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, createLogger } from '@cq/celery';
import { AMQP, deleteRedisKeys, redisDb, runSuffix } from './brokers.js';
import { execFileTracked, requirePython } from '@cq/tooling/testing';
import { repoRoot, startCqWorker, startPythonWorker, startTogether, stop, type Proc, type Urls } from './helpers.js';

const REDIS0 = 'redis://127.0.0.1:6379/0';

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFileTracked(cmd, args, { cwd: repoRoot, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const celery = (broker: string, ...args: string[]): Promise<Run> => run(requirePython(['celery']), ['-m', 'celery', '-b', broker, ...args]);
const cq = (broker: string, ...args: string[]): Promise<Run> =>
  run(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', path.join(repoRoot, 'apps/cli/src/bin.ts'), args[0]!, '-b', broker, ...args.slice(1)]);

// Redis keeps pidbox bindings in these sets; what this file's workers and clients add is removed at the end.
const BINDINGS = ['_kombu.binding.celery.pidbox', '_kombu.binding.reply.celery.pidbox'];
const before = new Map<string, Set<string>>();

beforeAll(async () => {
  const r = redisDb(0);
  for (const key of BINDINGS) before.set(key, new Set(await r.smembers(key)));
  r.disconnect();
});

afterAll(async () => {
  const r = redisDb(0);
  try {
    for (const key of BINDINGS) {
      const added = (await r.smembers(key)).filter((m) => !before.get(key)?.has(m)
        && (key.includes('reply') || m.includes(`cqt-ctl-cq-${process.pid}@`) || m.includes(`py-${process.pid}@`)));
      if (added.length > 0) await r.srem(key, ...added);
    }
  } finally {
    r.disconnect();
  }
});

describe.each([['redis', REDIS0], ['amqp', AMQP]] as const)('remote control between cq and Python Celery on %s', (name, broker) => {
  const suffix = runSuffix();
  const urls: Urls = { broker, backend: REDIS0, queue: `cqt.ctl.${name}.${suffix}` };
  const host = os.hostname();
  const cqNode = `cqt-ctl-cq-${process.pid}@${host}`;
  const pyNode = `py-${process.pid}@${host}`;
  let cqWorker: Proc | undefined;
  let pyWorker: Proc | undefined;
  let app: Celery;

  beforeAll(async () => {
    [cqWorker, pyWorker] = await startTogether(
      startCqWorker(urls, ['-n', `cqt-ctl-cq-${process.pid}@%h`]),
      startPythonWorker({ ...urls, queue: `${urls.queue}.py` }),
    );
    app = new Celery('ctl-client', { broker_url: broker, result_backend: REDIS0, task_default_queue: urls.queue });
    app.log = createLogger({ level: 'critical' });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([stop(cqWorker), stop(pyWorker)]);
    if (app) {
      const conn = app.connection();
      const ch = await conn.channel();
      for (const q of [urls.queue, `${urls.queue}.py`]) {
        await ch.deleteQueue(q).catch(() => undefined);
        await ch.deleteExchange(q).catch(() => undefined);
      }
      await conn.close();
      await app.close();
    }
    await deleteRedisKeys(0, 'cqt.ctl.');
  }, 60_000);

  it('Python celery inspect ping / active reach the cq worker', async () => {
    const ping = await celery(broker, 'inspect', 'ping', '-d', cqNode, '-t', '5');
    expect(ping.stdout).toContain(`->  ${cqNode}: OK`);
    expect(ping.stdout).toContain('pong');
    expect(ping.stdout).toContain('1 node online.');
    const active = await celery(broker, 'inspect', 'active', '-d', cqNode, '-t', '5', '--json');
    expect(JSON.parse(active.stdout)).toEqual({ [cqNode]: [] });
  });

  it('Python celery control revoke stops a cq ETA task from ever running', async () => {
    const revoked = `cqt.ctl.${randomUUID()}`;
    const kept = `cqt.ctl.${randomUUID()}`;
    await app.sendTask('ts.add', [1, 2], { taskId: revoked, countdown: 4 });
    await app.sendTask('ts.add', [2, 2], { taskId: kept, countdown: 4 });
    const out = await celery(broker, 'control', 'revoke', revoked, '-d', cqNode, '-t', '5');
    expect(out.stdout).toContain(`->  ${cqNode}: OK`);
    expect(out.stdout).toContain(`tasks ${revoked} flagged as revoked`);
    expect(await app.asyncResult(kept).get({ timeout: 15 })).toBe(4);
    await expect(app.asyncResult(revoked).get({ timeout: 15 })).rejects.toThrow(/revoked/i);
    expect(await app.asyncResult(revoked).state()).toBe('REVOKED');
    expect(cqWorker!.log.join('')).toContain(`Discarding revoked task: ts.add[${revoked}]`);
  });

  it('cq inspect ping and cq control rate_limit reach the Python worker', async () => {
    const ping = await cq(broker, 'inspect', 'ping', '-d', pyNode, '-t', '5');
    expect(ping.code).toBe(0);
    expect(ping.stdout).toContain(`->  ${pyNode}: OK\n        pong`);
    expect(ping.stdout).toContain('1 node online.');
    const rate = await cq(broker, 'control', 'rate_limit', 'py.add', '10/m', '-d', pyNode, '-t', '5', '--json');
    expect(rate.code).toBe(0);
    expect(JSON.parse(rate.stdout)).toEqual([{ [pyNode]: { ok: 'new rate limit set successfully' } }]);
    const registered = await cq(broker, 'inspect', 'registered', 'rate_limit', '-d', pyNode, '-t', '5', '--json');
    expect((JSON.parse(registered.stdout) as Record<string, string[]>)[pyNode]).toContain('py.add [rate_limit=10/m]');
  });

  it('cq status lists the cq and the Python worker', async () => {
    const status = await cq(broker, 'status', '-d', `${cqNode},${pyNode}`, '-t', '5');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`->  ${cqNode}: OK`);
    expect(status.stdout).toContain(`->  ${pyNode}: OK`);
    expect(status.stdout).toContain('2 nodes online.');
    const none = await cq(broker, 'status', '-d', 'cqt-ctl-nobody@nowhere', '-t', '0.3');
    expect(none.code).toBe(69);
    expect(none.stderr).toContain('No nodes replied within time constraint');
  });
});
