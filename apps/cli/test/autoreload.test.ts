/**
 * `cq worker --autoreload`, once per pool, on Redis db 7 (broker and results; one queue per pool,
 * deleted after). The app is a temporary copy of fixtures/autoreload (tasks.ts importing helper.ts,
 * with node_modules/@cq/celery linked to this repository's package); the test rewrites helper.ts
 * while a long task runs. prefork/threads restart the pool's children in place; async/solo replace
 * the worker process after a warm shutdown.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, type AsyncResult } from '@cq/celery';
import { stopTracked, taggedProcesses, testRunId } from '@cq/tooling/testing';
import { cq, exited, repoRoot, waitFor } from './helpers.js';

const REDIS = 'redis://127.0.0.1:6379/7';
const FIXTURE = path.join(repoRoot, 'apps/cli/test/fixtures/autoreload');

/** A temporary project holding a copy of the fixture app. */
function appCopy(): { dir: string; tasks: string; helper: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-autoreload-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(path.join(dir, 'node_modules/@cq'), { recursive: true });
  symlinkSync(path.join(repoRoot, 'packages/celery'), path.join(dir, 'node_modules/@cq/celery'));
  for (const file of ['tasks.ts', 'helper.ts']) copyFileSync(path.join(FIXTURE, file), path.join(dir, file));
  return { dir, tasks: path.join(dir, 'tasks.ts'), helper: path.join(dir, 'helper.ts') };
}

/** Live processes of this test run whose command line names `dir` (the supervisor and its worker). */
const processesIn = (dir: string) => taggedProcesses(testRunId()).filter((p) => p.command.includes(dir));

describe.each(['async', 'solo', 'prefork', 'threads'])('cq worker --autoreload -P %s', (pool) => {
  const queue = `cqt.autoreload.${pool}.${randomUUID().slice(0, 8)}`;
  const restartable = pool === 'prefork' || pool === 'threads';
  let app: ReturnType<typeof appCopy>;
  const client = new Celery('client', { task_default_queue: queue }).configure({ brokerUrl: REDIS, resultBackend: REDIS });
  const ids: string[] = [];
  let worker: ReturnType<typeof cq>;

  const send = async (name: string, args: unknown[] = []): Promise<AsyncResult<unknown>> => {
    const result = await client.sendTask(name, args);
    ids.push(result.id);
    return result;
  };
  const log = (): string => worker.err.join('');
  const lines = (pattern: RegExp): string[] => log().split('\n').filter((line) => pattern.test(line));

  beforeAll(async () => {
    app = appCopy();
    worker = cq(['worker', '--autoreload', '-A', app.tasks, '-b', REDIS, '--result-backend', REDIS, '-Q', queue,
      '-P', pool, '-c', pool === 'solo' ? '1' : '2', '-l', 'info', '--no-banner']);
    await waitFor(() => log().includes('ready.'), 30_000, () => `worker did not start:\n${log()}`);
  });

  afterAll(async () => {
    await stopTracked(worker);
    for (const p of processesIn(app.dir)) process.kill(p.pid, 'SIGKILL'); // only after a failure above
    const conn = client.connection();
    const ch = await conn.channel();
    await ch.deleteQueue(queue).catch(() => undefined);
    await conn.close();
    const backend = await client.backend();
    for (const id of ids) await backend?.forget(id).catch(() => undefined);
    await client.close();
    rmSync(app.dir, { recursive: true, force: true });
  });

  it('reloads a changed helper once; the task running meanwhile finishes on the old code', async () => {
    expect(await (await send('autoreload.version')).get({ timeout: 20 })).toBe('v1');
    const slow = await send('autoreload.slow', [3_000]);
    await waitFor(async () => (await slow.state()) === 'STARTED', 20_000, () => `the slow task did not start:\n${log()}`);

    writeFileSync(app.helper, "export const version = (): string => 'v2';\n");
    await waitFor(() => lines(/detected modified files/).length > 0, 10_000, () => `no reload line:\n${log()}`);
    const during = await send('autoreload.version'); // sent while the worker reloads: not lost, either code

    expect(await slow.get({ timeout: 20 })).toBe('v1'); // finished, on the code it started with
    expect(['v1', 'v2']).toContain(await during.get({ timeout: 30 }));
    await waitFor(() => lines(/autoreload: reloaded/).length > 0, 30_000, () => `no reloaded line:\n${log()}`);
    expect(await (await send('autoreload.version')).get({ timeout: 20 })).toBe('v2');

    const reloads = lines(/detected modified files/);
    expect(reloads).toHaveLength(1);
    expect(reloads[0]).toContain(app.helper);
    expect(reloads[0]).not.toContain(app.tasks);
    expect(reloads[0]).toContain(restartable ? `restarting the ${pool} pool` : 'restarting the worker process');
    expect(lines(/autoreload: reloaded/)).toHaveLength(1);
    expect(log()).not.toMatch(/ERROR|reload failed/);
  });

  it(restartable ? 'keeps the previous children while the changed code does not load' : 'waits for the next change when the changed code does not load', async () => {
    writeFileSync(app.helper, 'export const version = (): string => ;\n');
    const failed = restartable ? /autoreload: reload failed, the previous code keeps running/ : /autoreload: the worker exited \(exit code [1-9]\d*\); the next change/;
    await waitFor(() => lines(failed).length === 1, 30_000, () => `no failure line:\n${log()}`);
    if (restartable) expect(await (await send('autoreload.version')).get({ timeout: 20 })).toBe('v2');

    writeFileSync(app.helper, "export const version = (): string => 'v3';\n");
    await waitFor(() => lines(/autoreload: reloaded/).length === 2, 30_000, () => `no second reloaded line:\n${log()}`);
    expect(await (await send('autoreload.version')).get({ timeout: 20 })).toBe('v3');
    expect(lines(/detected modified files/)).toHaveLength(3);
  });

  it('stops with its worker on SIGTERM, leaving no process behind', async () => {
    worker.kill('SIGTERM'); // the supervisor alone: it passes the signal on to its worker
    expect(await exited(worker)).toBe(0);
    await waitFor(() => processesIn(app.dir).length === 0, 10_000, () => `left running:\n${JSON.stringify(processesIn(app.dir))}`);
  });
});
