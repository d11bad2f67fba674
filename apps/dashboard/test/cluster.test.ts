/**
 * The dashboard against a live cluster on Redis (DB 4): a real `cq worker -E` and a real Python
 * Celery 5.2.6 worker. A Flower API client gets Flower-shaped answers for tasks run on both;
 * control commands reach the workers; `/metrics` parses as Prometheus text and carries Flower's
 * series; then the `cq-dashboard` command, restarted on the same store, still lists every earlier
 * task, and with `--read-only` and auth refuses what it must.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/celery';
import { Dashboard, TASK_FIELDS } from '@cq/dashboard';
import { exited, freePort, repoRoot, spawnTracked, stopTracked, waitFor } from '@cq/tooling/testing';
import { REDIS, parsePrometheus, startCluster, type Cluster } from './cluster.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-dashboard-cluster-'));
const db = path.join(dir, 'dashboard.db');
let cluster: Cluster;
let app: Celery;
let dashboard: Dashboard;

async function http(method: string, url: string, options: { body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}
const api = (method: string, route: string, options?: Parameters<typeof http>[2]) => http(method, `${dashboard.url}${route}`, options);

/** Waits until the dashboard knows the task in one of `states`; returns its /api/task/info. */
async function untilState(id: string, states: string[], timeoutMs = 20_000): Promise<any> {
  let last: any = null;
  await waitFor(async () => {
    last = (await api('GET', `/api/task/info/${id}`)).body;
    return states.includes(last?.state);
  }, timeoutMs, () => `task ${id} not in ${states.join('/')}: ${JSON.stringify(last)}`);
  return last;
}

beforeAll(async () => {
  app = new Celery('dash-monitor', { task_send_sent_event: true }).configure({ brokerUrl: REDIS, resultBackend: REDIS });
  // Started before the workers, so it records their worker-online events and inspects them as they join.
  dashboard = await Dashboard.start(app, { port: 0, db, enableEvents: false, inspectTimeout: 2 });
  cluster = await startCluster('api');
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await cluster?.stop();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Flower API on a cq and a Python worker', () => {
  const ids: Record<string, string> = {};

  it('lists both workers with what inspecting them returned', async () => {
    await waitFor(async () => {
      const workers = (await api('GET', '/api/workers')).body ?? {};
      return Boolean(workers[cluster.pyWorker]?.registered && workers[cluster.cqWorker]?.registered);
    }, 20_000, () => 'workers not inspected');
    const workers = (await api('GET', '/api/workers?refresh=1')).body;
    for (const [name, queue, task] of [[cluster.pyWorker, cluster.pyQueue, 'dash.add'], [cluster.cqWorker, cluster.cqQueue, 'dash.ts.add']] as const) {
      const w = workers[name];
      expect(Object.keys(w)).toEqual(expect.arrayContaining(['stats', 'active_queues', 'registered', 'conf', 'timestamp']));
      expect(w.active_queues.map((q: { name: string }) => q.name)).toEqual([queue]);
      expect(w.registered.map((r: string) => r.split(' ')[0])).toContain(task);
      expect(w.stats.pool['max-concurrency']).toBeGreaterThan(0);
      expect(JSON.stringify(w)).not.toMatch(/"password":"(?!\*\*\*\*\*\*\*\*")[^"]+"/);
    }
    expect(await api('GET', '/api/workers?status=true')).toMatchObject({ body: { [cluster.pyWorker]: true, [cluster.cqWorker]: true } });
    expect(Object.keys((await api('GET', `/api/workers?workername=${encodeURIComponent(cluster.cqWorker)}`)).body)).toEqual([cluster.cqWorker]);
    expect(await api('GET', '/api/workers?workername=nobody@nowhere')).toMatchObject({ status: 404, text: "Unknown worker 'nobody@nowhere'" });
  });

  it('applies tasks by name on both workers and answers with their results', async () => {
    const py = await api('POST', '/api/task/async-apply/dash.add', { body: { args: [1234, 4321], queue: cluster.pyQueue } });
    // Flower reads the state right after sending: PENDING, or already further on a fast worker.
    expect(py).toMatchObject({ status: 200, body: { 'task-id': expect.any(String), state: expect.stringMatching(/^(PENDING|RECEIVED|STARTED|SUCCESS)$/) } });
    const cq = await api('POST', '/api/task/send-task/dash.ts.add', { body: { args: [40], kwargs: { y: 2 }, queue: cluster.cqQueue } });
    const pyFail = await api('POST', '/api/task/send-task/dash.fail', { body: { args: ['boom py'], queue: cluster.pyQueue } });
    const cqFail = await api('POST', '/api/task/send-task/dash.ts.fail', { body: { args: ['boom cq'], queue: cluster.cqQueue } });
    const applied = await api('POST', '/api/task/apply/dash.ts.add', { body: { args: [2, 3], queue: cluster.cqQueue } });
    expect(applied).toMatchObject({ status: 200, body: { state: 'SUCCESS', result: 5 } });
    expect(await api('POST', '/api/task/async-apply/no.such.task', { body: { args: [] } })).toMatchObject({ status: 404, text: "Unknown task 'no.such.task'" });
    expect(await api('POST', '/api/task/send-task/dash.add', { body: { args: 'x' } })).toMatchObject({ status: 400, text: 'args must be an array' });
    Object.assign(ids, { py: py.body['task-id'], cq: cq.body['task-id'], pyFail: pyFail.body['task-id'], cqFail: cqFail.body['task-id'], applied: applied.body['task-id'] });
    cluster.taskIds.push(...Object.values(ids));

    const pyInfo = await untilState(ids['py']!, ['SUCCESS']);
    expect(Object.keys(pyInfo)).toEqual([...TASK_FIELDS]);
    expect(pyInfo).toMatchObject({ uuid: ids['py'], name: 'dash.add', worker: cluster.pyWorker, result: '5555', client: expect.any(String), children: [] });
    expect(pyInfo.received).toBeLessThanOrEqual(pyInfo.started);
    expect(pyInfo.started).toBeLessThanOrEqual(pyInfo.succeeded);
    expect(pyInfo.sent).toBeLessThanOrEqual(pyInfo.received + 0.01); // two clocks: the client's (ms) and Python's
    expect(pyInfo.runtime).toBeGreaterThan(0);
    expect(await untilState(ids['cq']!, ['SUCCESS'])).toMatchObject({ name: 'dash.ts.add', worker: cluster.cqWorker, result: '42', kwargs: "{'y': 2}" });
    // Celery 5.2's task-failed carries billiard's wrapper as the exception ("ExceptionWithTraceback()"); the traceback is right.
    expect(await untilState(ids['pyFail']!, ['FAILURE'])).toMatchObject({ worker: cluster.pyWorker, exception: expect.any(String), traceback: expect.stringContaining("ValueError: boom py") });
    expect(await untilState(ids['cqFail']!, ['FAILURE'])).toMatchObject({ worker: cluster.cqWorker, exception: expect.stringContaining('boom cq') });

    expect((await api('GET', `/api/task/result/${ids['py']}`)).body).toEqual({ 'task-id': ids['py'], state: 'SUCCESS', result: 5555 });
    expect((await api('GET', `/api/task/result/${ids['pyFail']}`)).body).toMatchObject({ state: 'FAILURE', result: "ValueError('boom py')", traceback: expect.stringContaining('boom py') });
    expect((await api('GET', '/api/task/info/00000000-0000-0000-0000-000000000000'))).toMatchObject({ status: 404 });
  });

  it('lists tasks with Flower\'s filters, order and shapes', async () => {
    const byWorker = (await api('GET', `/api/tasks?workername=${encodeURIComponent(cluster.pyWorker)}`)).body;
    expect(Object.keys(byWorker).sort()).toEqual([ids['py'], ids['pyFail']].sort());
    const listed = byWorker[ids['py']!];
    expect(Object.keys(listed).at(-1)).toBe('worker');
    expect(listed.worker).toBe(cluster.pyWorker);
    const failures = (await api('GET', `/api/tasks?state=FAILURE&workername=${encodeURIComponent(cluster.cqWorker)}`)).body;
    expect(Object.keys(failures)).toEqual([ids['cqFail']]);
    expect(Object.keys((await api('GET', '/api/tasks?search=result:5555')).body)).toEqual([ids['py']]);
    const cqWorker = encodeURIComponent(cluster.cqWorker);
    expect(Object.keys((await api('GET', `/api/tasks?taskname=dash.ts.add&workername=${cqWorker}&sort_by=-received`)).body)).toEqual([ids['applied'], ids['cq']]);
    expect(Object.keys((await api('GET', `/api/tasks?taskname=dash.ts.add&workername=${cqWorker}&sort_by=received`)).body)).toEqual([ids['cq'], ids['applied']]);
    const page = (await api('GET', `/api/tasks?limit=1&offset=1&workername=${encodeURIComponent(cluster.cqWorker)}`)).body;
    expect(Object.keys(page)).toHaveLength(1);
    expect(await api('GET', '/api/tasks?sort_by=clock')).toMatchObject({ status: 400 });
    expect((await api('GET', '/api/task/types')).body['task-types']).toEqual(expect.arrayContaining(['dash.add', 'dash.fail', 'dash.ts.add', 'dash.ts.fail']));
    const queues = (await api('GET', '/api/queues/length')).body.active_queues;
    expect(queues).toEqual(expect.arrayContaining([{ name: cluster.pyQueue, messages: 0 }, { name: cluster.cqQueue, messages: 0 }]));
  });

  it('sends control commands to the workers and answers as Flower does', async () => {
    const cq = encodeURIComponent(cluster.cqWorker);
    const py = encodeURIComponent(cluster.pyWorker);
    expect(await api('POST', `/api/worker/pool/grow/${cq}?n=1`)).toMatchObject({ status: 200, body: { message: `Growing '${cluster.cqWorker}' worker's pool by 1` } });
    expect(await api('POST', `/api/worker/pool/shrink/${cq}`)).toMatchObject({ status: 200, body: { message: `Shrinking '${cluster.cqWorker}' worker's pool by 1` } });
    // The solo pool cannot grow: the Python worker replies an error, which Flower turns into a 403.
    expect(await api('POST', `/api/worker/pool/grow/${py}`)).toMatchObject({ status: 403, text: expect.stringMatching(/^Failed to grow '.*' worker's pool: '.+'$/) });
    expect(await api('POST', `/api/worker/queue/add-consumer/${py}`, { form: { queue: `${cluster.pyQueue}.extra` } })).toMatchObject({ status: 200, body: { message: `add consumer ${cluster.pyQueue}.extra` } });
    expect(await api('POST', `/api/worker/queue/cancel-consumer/${py}?queue=${cluster.pyQueue}.extra`)).toMatchObject({ status: 200, body: { message: `no longer consuming from ${cluster.pyQueue}.extra` } });
    expect(await api('POST', '/api/task/rate-limit/dash.ts.add', { form: { ratelimit: '100/m', workername: cluster.cqWorker } })).toMatchObject({ status: 200, body: { message: expect.stringMatching(/rate limit/) } });
    expect(await api('POST', '/api/task/timeout/dash.add', { form: { soft: '30', hard: '60', workername: cluster.pyWorker } })).toMatchObject({ status: 200, body: { message: expect.stringMatching(/time limits/) } });
    expect(await api('POST', '/api/worker/pool/grow/nobody@nowhere')).toMatchObject({ status: 404 });
    // cq has no pool_restart command: the worker's error reply is Flower's 403.
    expect(await api('POST', `/api/worker/pool/restart/${cq}`)).toMatchObject({ status: 403, text: `Failed to restart the '${cluster.cqWorker}' pool: 'KeyError('pool_restart')'` });

    const sleep = await api('POST', '/api/task/send-task/dash.ts.sleep', { body: { args: [30], queue: cluster.cqQueue } });
    const id = sleep.body['task-id'];
    cluster.taskIds.push(id);
    await untilState(id, ['STARTED']);
    expect(await api('POST', `/api/task/revoke/${id}?terminate=true&signal=SIGKILL`)).toMatchObject({ status: 200, body: { message: `Revoked '${id}'` } });
    expect(await untilState(id, ['REVOKED'], 10_000)).toMatchObject({ state: 'REVOKED', worker: cluster.cqWorker });
  });

  it('serves /metrics as Prometheus text with Flower\'s series and cq\'s', async () => {
    const res = await api('GET', '/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(res.text);
    expect(Object.fromEntries(types)).toMatchObject({
      flower_events_total: 'counter', flower_task_runtime_seconds: 'histogram', flower_task_prefetch_time_seconds: 'gauge',
      flower_worker_prefetched_tasks: 'gauge', flower_worker_online: 'gauge', flower_worker_number_of_currently_executing_tasks: 'gauge',
      cq_task_wait_seconds: 'histogram', cq_queue_length: 'gauge',
    });
    const find = (name: string, labels: Record<string, string>) => samples.get(name)?.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(find('flower_events_total', { worker: cluster.pyWorker, type: 'task-succeeded', task: 'dash.add' })?.value).toBe(1);
    expect(find('flower_events_total', { worker: cluster.cqWorker, type: 'task-failed', task: 'dash.ts.fail' })?.value).toBe(1);
    expect(find('flower_task_runtime_seconds_count', { worker: cluster.cqWorker, task: 'dash.ts.add' })?.value).toBe(2);
    expect(find('flower_task_runtime_seconds_bucket', { worker: cluster.pyWorker, task: 'dash.add', le: '+Inf' })?.value).toBe(1);
    expect(find('flower_worker_online', { worker: cluster.pyWorker })?.value).toBe(1);
    expect(find('flower_worker_online', { worker: cluster.cqWorker })?.value).toBe(1);
    expect(find('flower_worker_prefetched_tasks', { worker: cluster.cqWorker, task: 'dash.ts.add' })?.value).toBe(0);
    expect(find('flower_task_prefetch_time_seconds', { worker: cluster.pyWorker, task: 'dash.add' })?.value).toBe(0);
    expect(find('cq_task_wait_seconds_count', { worker: cluster.cqWorker, task: 'dash.ts.add' })?.value).toBe(2);
    expect(find('cq_queue_length', { queue: cluster.cqQueue })?.value).toBe(0);
    await waitFor(async () => {
      const again = parsePrometheus((await api('GET', '/metrics')).text).samples;
      return again.get('flower_worker_number_of_currently_executing_tasks')?.some((s) => s.labels['worker'] === cluster.cqWorker) ?? false;
    }, 10_000, () => 'no heartbeat with active from the cq worker');
  });
});

describe('the cq-dashboard command, restarted on the same store', () => {
  it('still lists every earlier task; with --read-only and auth it refuses what it must', async () => {
    const before = Object.keys((await api('GET', '/api/tasks')).body).sort();
    expect(before.length).toBeGreaterThanOrEqual(6);
    await dashboard.close();
    const port = await freePort();
    const cmd = spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', path.join(repoRoot, 'apps/dashboard/src/bin.ts'),
      '-b', REDIS, '--result-backend', REDIS, '--port', String(port), '--db', db, '--read-only', '--basic-auth', 'admin:s3cret', '--auth-token', 'tok-1,tok-2',
      '--no-enable-events'], { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    cmd.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    cmd.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    try {
      await waitFor(() => out.join('').includes('cq dashboard: http://'), 20_000, () => `cq-dashboard did not start:\n${out.join('')}`);
      expect(out.join('')).toContain('read-only');
      expect(out.join('')).not.toContain('s3cret');
      const base = `http://127.0.0.1:${port}`;
      const basic = { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` };
      const bearer = { authorization: 'Bearer tok-2' };
      expect(await http('GET', `${base}/healthcheck`)).toMatchObject({ status: 200, text: 'OK' });
      const denied = await http('GET', `${base}/api/tasks`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Basic realm="cq dashboard"');
      expect((await http('GET', `${base}/api/tasks`, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } })).status).toBe(401);
      expect((await http('GET', `${base}/api/tasks`, { headers: { authorization: 'Bearer tok-3' } })).status).toBe(401);
      expect((await http('GET', `${base}/metrics`)).status).toBe(401);
      // Every task recorded before the restart is there (tasks of other test files on DB 4 may be added meanwhile).
      expect(Object.keys((await http('GET', `${base}/api/tasks`, { headers: basic })).body)).toEqual(expect.arrayContaining(before));
      expect((await http('GET', `${base}/api/task/info/${ids0()}`, { headers: bearer })).body).toMatchObject({ uuid: ids0(), state: 'SUCCESS' });
      for (const route of [`/api/task/revoke/${ids0()}?terminate=true`, '/api/task/async-apply/dash.add', `/api/worker/shutdown/${encodeURIComponent(cluster.cqWorker)}`, `/api/ui/task/retry/${ids0()}`]) {
        expect(await http('POST', `${base}${route}`, { headers: bearer, body: { args: [1, 2] } })).toMatchObject({ status: 403, text: expect.stringMatching(/read-only/) });
      }
      expect((await http('GET', `${base}/api/ui/config`, { headers: basic })).body).toEqual({ readOnly: true });
      const openapi = (await http('GET', `${base}/api/openapi.json`, { headers: bearer })).body;
      expect(openapi.openapi).toBe('3.1.0');
      expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/api/workers', '/api/tasks', '/api/task/info/{taskid}', '/api/task/revoke/{taskid}', '/api/queues/length', '/healthcheck', '/metrics']));
      cmd.kill('SIGTERM');
      expect(await exited(cmd)).toBe(0);
    } finally {
      await stopTracked(cmd);
    }
  });
});

/** The id of the first task the API test applied (a Python one that succeeded). */
function ids0(): string {
  return cluster.taskIds[0]!;
}
