/**
 * A worker process started by the CLI runs tasks sent from another process (this one), on the
 * embedded SQLite broker and backend: success, keyword binding, failure, unknown task, garbage
 * messages, warm shutdown, and a SIGKILL mid-task with acks_late.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Celery, Connection, Producer, RemoteTaskError } from '@cq/celery';
import type { ChildProcess } from 'node:child_process';
import { cqRun, exited, sandbox, startWorker, useWorker, waitFor, type Sandbox } from './helpers.js';

/** Broker URL schemes resolved as an app of @cq/celery resolves them. */
const transports = new Celery('cli-test').transports;

describe('cq worker on the embedded SQLite broker', () => {
  const ctx = useWorker(['-c', '8']);
  let box: Sandbox;
  let client: Celery;
  let worker: ChildProcess & { out: string[]; err: string[] };
  beforeAll(() => ({ box, client, worker } = ctx));

  it('prints a banner naming the transport, results, concurrency, queues and tasks', () => {
    const banner = worker.out.join('');
    expect(banner).toContain(`.> transport:   ${box.broker}`);
    expect(banner).toContain(`.> results:     ${box.backend}`);
    expect(banner).toContain('.> concurrency: 8 (async)');
    expect(banner).toMatch(/\.> celery\s+exchange=celery\(direct\) key=celery/);
    expect(banner).toContain('  . proj.add');
    expect(banner).toContain('  . proj.slow');
  });

  it('runs a task sent from another process and returns its result', async () => {
    const r = await client.sendTask<number>('proj.add', [2, 3]);
    expect(await r.get({ timeout: 20 })).toBe(5);
    expect(await r.state()).toBe('SUCCESS');
    expect(await r.successful()).toBe(true);
  });

  it('binds keyword arguments by parameter name, as a Python caller sends them', async () => {
    const r = await client.sendTask('proj.describe', [1], { kwargs: { b: 'given', extra: true } });
    expect(await r.get({ timeout: 20 })).toEqual({ a: 1, b: 'given', opts: { extra: true } });
    const twice = await client.sendTask('proj.add', [1], { kwargs: { x: 5 } });
    await expect(twice.get({ timeout: 20 })).rejects.toMatchObject({ name: 'TypeError', message: expect.stringContaining("multiple values for argument 'x'") });
  });

  it('stores a raised error as FAILURE with its type, message and traceback', async () => {
    const r = await client.sendTask('proj.fail', ['nope']);
    const err = await r.get({ timeout: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteTaskError);
    expect((err as Error).name).toBe('ValueError');
    expect((err as Error).message).toContain('bad input: nope');
    expect(await r.state()).toBe('FAILURE');
    expect(await r.traceback()).toContain('bad input: nope');
    const meta = await r.meta();
    expect(meta.result).toMatchObject({ exc_type: 'ValueError', exc_message: ['bad input: nope'] });
  });

  it('rejects an unknown task and stores FAILURE NotRegistered, as Celery does', async () => {
    const r = await client.sendTask('proj.not_there', [1]);
    const err = await r.get({ timeout: 20 }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('NotRegistered');
    expect((await r.meta()).result).toMatchObject({ exc_type: 'NotRegistered', exc_message: ['proj.not_there'], exc_module: 'celery.exceptions' });
    await waitFor(() => worker.err.join('').includes("unregistered task of type 'proj.not_there'"), 5000);
  });

  it('drops undecodable and disallowed messages with a log line naming their id, and keeps serving', async () => {
    const conn = await new Connection(box.broker, { transports }).connect();
    const channel = await conn.channel();
    const producer = new Producer(channel);
    const headers = (id: string) => ({ lang: 'py', task: 'proj.add', id, retries: 0, timelimit: [null, null] });
    await producer.publish('{"not json', { routingKey: 'celery', contentType: 'application/json', contentEncoding: 'utf-8', headers: headers('garbage-json-1') });
    await producer.publish(Buffer.from([0x80, 0x04, 0x95]), { routingKey: 'celery', contentType: 'application/x-python-serialize', contentEncoding: 'binary', headers: headers('pickled-2') });
    await producer.publish('[1, 2]', { routingKey: 'celery', contentType: 'application/json', contentEncoding: 'utf-8', headers: {} });
    await producer.publish('[[2, 3], {}, {}]', { routingKey: 'celery', contentType: 'application/json', contentEncoding: 'utf-8', headers: { ...headers('bad-eta-3'), eta: 'yesterday-ish' } });
    const after = await client.sendTask<number>('proj.add', [20, 22]);
    expect(await after.get({ timeout: 20 })).toBe(42);
    const log = () => worker.err.join('');
    await waitFor(() => log().includes('garbage-json-1') && log().includes('pickled-2') && log().includes('bad-eta-3'), 5000, log);
    expect(log()).toMatch(/Can't decode message body.*id:garbage-json-1/);
    expect(log()).toMatch(/Can't decode message body.*id:pickled-2/);
    expect(log()).toMatch(/invalid or unknown message \(id:bad-eta-3\)/);
    expect(worker.exitCode).toBeNull();
    expect((await channel.declareQueue({ name: 'celery', durable: true, exclusive: false, autoDelete: false, arguments: {} })).messageCount).toBe(0);
    await conn.close();
  });

  it('holds a countdown task until its ETA and drops an already expired one as REVOKED', async () => {
    const sentAt = Date.now();
    const later = await client.sendTask<number>('proj.add', [1, 1], { countdown: 1 });
    const expired = await client.sendTask<number>('proj.add', [1, 2], { expires: new Date(Date.now() - 1000) });
    expect(await later.get({ timeout: 20 })).toBe(2);
    const doneAt = Date.parse(`${(await later.meta()).date_done}Z`);
    expect(doneAt - sentAt).toBeGreaterThanOrEqual(900);
    await expect(expired.get({ timeout: 20 })).rejects.toMatchObject({ name: 'TaskRevokedError' });
    expect((await expired.meta()).result).toMatchObject({ exc_message: ['expired'] });
  });

  it('cq call prints an id and cq result prints the value, or the error with exit code 1', async () => {
    const call = await cqRun(['call', 'proj.add', '--args', '[40, 2]', ...box.flags]);
    expect(call.code).toBe(0);
    const id = call.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const res = await cqRun(['result', id, '--timeout', '20', ...box.flags]);
    expect(res.stdout.trim()).toBe('42');
    expect(res.code).toBe(0);
    const bad = await cqRun(['call', 'proj.fail', '--args', '["cli"]', ...box.flags]);
    const failed = await cqRun(['result', bad.stdout.trim(), '--timeout', '20', ...box.flags]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ValueError: bad input: cli');
    const usage = await cqRun(['call', 'proj.add', '--args', '{oops', ...box.flags]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--args: not valid JSON');
  });
});

describe('cq worker queues', () => {
  it('consumes only the queues given with -Q', async () => {
    const box = sandbox();
    const client = new Celery('client').configure({ brokerUrl: box.broker, resultBackend: box.backend });
    const worker = await startWorker(box, ['-Q', 'fast,slow']);
    expect(worker.out.join('')).toMatch(/\.> fast\s+exchange=fast\(direct\) key=fast/);
    const fast = await client.sendTask<number>('proj.add', [1, 2], { queue: 'fast' });
    const slow = await client.sendTask<number>('proj.add', [3, 4], { queue: 'slow' });
    const ignored = await client.sendTask<number>('proj.add', [5, 6]);
    expect(await fast.get({ timeout: 20 })).toBe(3);
    expect(await slow.get({ timeout: 20 })).toBe(7);
    await new Promise((r) => setTimeout(r, 300));
    expect(await ignored.state()).toBe('PENDING');
    worker.kill('SIGTERM');
    await exited(worker);
    await client.close();
  });
});

describe('cq worker reliability', () => {
  it('warm shutdown finishes running tasks and leaves prefetched ones in the broker', async () => {
    const box = sandbox();
    const log = path.join(box.dir, 'runs.log');
    const client = new Celery('client').configure({ brokerUrl: box.broker, resultBackend: box.backend });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.sendTask('proj.slow', [i, 400])));
    const worker = await startWorker(box, ['-c', '2'], { CQ_TEST_LOG: log });
    await waitFor(() => worker.err.join('').includes('received'), 10_000);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    const ran = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.length).toBeLessThan(10);
    const second = await startWorker(box, ['-c', '10'], { CQ_TEST_LOG: log });
    const values = await Promise.all(results.map((r) => r.get({ timeout: 30 })));
    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    second.kill('SIGTERM');
    await exited(second);
    await client.close();
  });

  it('a worker killed with SIGKILL mid-task loses nothing: a new worker processes every unacked message', async () => {
    const box = sandbox();
    const log = path.join(box.dir, 'runs.log');
    const client = new Celery('client').configure({ brokerUrl: box.broker, resultBackend: box.backend });
    const n = 30;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => client.sendTask('proj.slow', [i, 150])));
    const worker = await startWorker(box, ['-c', '4'], { CQ_TEST_LOG: log });
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length >= 3, 20_000);
    worker.kill('SIGKILL');
    await exited(worker);
    const before = new Set(readFileSync(log, 'utf8').trim().split('\n'));
    expect(before.size).toBeLessThan(n);
    const second = await startWorker(box, ['-c', '8'], { CQ_TEST_LOG: log });
    const values = await Promise.all(results.map((r) => r.get({ timeout: 60 })));
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i * 2));
    const ran = new Set(readFileSync(log, 'utf8').trim().split('\n'));
    expect(ran.size).toBe(n);
    second.kill('SIGTERM');
    await exited(second);
    await client.close();
  });
});
