/**
 * Every signal a worker run sends, with Celery's arguments, on Redis DB 1: publish signals in the
 * sending app, task_* for success, failure, retry, expiry, unknown and rejected messages, worker_* in
 * order, and a throwing receiver that changes nothing for the task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Signal, after_task_publish, before_task_publish, task_failure, task_postrun, task_prerun, task_rejected,
  task_retry, task_revoked, task_success, task_unknown, worker_init, worker_ready, worker_shutdown, worker_shutting_down,
  type SignalEvent, type TaskContext,
} from '@cq/app';
import { Message, Producer } from '@cq/kombu';
import { Worker } from '@cq/worker';
import { REDIS_URL, rig, waitFor, type Rig } from './boot-helpers.js';

type Event = SignalEvent<any, any>;
const events: Record<string, Event[]> = {};
const offs: Array<() => void> = [];
const record = (signal: Signal<never, never>) => {
  events[signal.name] = [];
  offs.push((signal as unknown as Signal<object, unknown>).connect((e) => void events[signal.name]!.push(e as Event)));
};
const of = (name: string, taskId: string) => events[name]!.filter((e) => e['taskId'] === taskId || e['request']?.id === taskId || e['id'] === taskId);

let r: Rig;
let worker: Worker;
let order: string[];
const reported: string[] = [];
const originalReport = Signal.reportError;

beforeAll(async () => {
  for (const s of [before_task_publish, after_task_publish, task_prerun, task_postrun, task_success, task_failure, task_retry,
    task_revoked, task_unknown, task_rejected, worker_init, worker_ready, worker_shutdown, worker_shutting_down]) record(s as unknown as Signal<never, never>);
  order = [];
  for (const s of [worker_init, worker_ready, worker_shutting_down, worker_shutdown]) offs.push((s as unknown as Signal<object, unknown>).connect(() => void order.push(s.name)));
  // A receiver that throws must not change the task's outcome.
  Signal.reportError = (signal, _receiver, error) => void reported.push(`${signal.name}: ${(error as Error).message}`);
  offs.push(task_prerun.connect(() => { throw new Error('receiver bug'); }));
  // before_task_publish may change the headers of the message about to be sent.
  offs.push(before_task_publish.connect(({ headers }) => { headers['x-trace'] = 'from-signal'; }, { sender: 'boot.trace' }));
  r = rig(REDIS_URL);
  r.app.task('boot.add', (x: number, y: number) => x + y);
  r.app.task('boot.fail', (why: string) => {
    const e = new Error(`bad: ${why}`);
    e.name = 'ValueError';
    throw e;
  });
  r.app.task('boot.flaky', (ctx: TaskContext) => {
    if (ctx.request.retries < 1) ctx.retry({ countdown: 0, exc: new Error('flaky once') });
    return 'recovered';
  }, { bind: true });
  r.app.task('boot.trace', (ctx: TaskContext) => ctx.request.headers['x-trace'], { bind: true });
  worker = new Worker(r.app, { concurrency: 4 });
  await worker.start();
});

afterAll(async () => {
  for (const off of offs.splice(0)) off();
  Signal.reportError = originalReport;
  if (worker.state !== 'stopped') await worker.stop();
  await r.cleanup();
});

describe('signals in a real worker run', () => {
  it('worker_init then worker_ready, with the worker and its consumer as senders', () => {
    expect(order.slice(0, 2)).toEqual(['worker_init', 'worker_ready']);
    expect(events['worker_init']![0]!.sender).toBe(worker);
    expect(events['worker_ready']![0]!.sender).toBe(worker.consumer);
  });

  it('publish signals carry the task name as sender, the message parts and the route; before_task_publish can change headers', async () => {
    const res = await r.app.sendTask('boot.add', [2, 3]);
    const before = events['before_task_publish']!.find((e) => e['headers'].id === res.id)!;
    expect(before.sender).toBe('boot.add');
    expect(before).toMatchObject({ exchange: '', routingKey: r.queue, retryPolicy: null, body: [[2, 3], {}, expect.any(Object)] });
    expect(before['headers']).toMatchObject({ task: 'boot.add', id: res.id, lang: 'py' });
    expect(before['properties']).toMatchObject({ correlation_id: res.id });
    expect(before['declare'].map((q: { name: string }) => q.name)).toEqual([r.queue]);
    const after = events['after_task_publish']!.find((e) => e['headers'].id === res.id)!;
    expect(after).toMatchObject({ sender: 'boot.add', exchange: '', routingKey: r.queue });
    expect(await res.get({ timeout: 15 })).toBe(5);
    const traced = await r.app.sendTask('boot.trace');
    expect(await traced.get({ timeout: 15 })).toBe('from-signal');
  });

  it('success: task_prerun, task_success (result, runtime in s), task_postrun (retval, SUCCESS), sender the task', async () => {
    const add = r.app.getTask('boot.add');
    const res = await r.app.sendTask('boot.add', [20, 22]);
    expect(await res.get({ timeout: 15 })).toBe(42);
    await waitFor(() => of('task_postrun', res.id).length === 1, 5000, 'task_postrun');
    expect(of('task_prerun', res.id)[0]).toMatchObject({ sender: add, taskId: res.id, task: add, args: [20, 22], kwargs: {} });
    const success = events['task_success']!.filter((e) => e['result'] === 42);
    expect(success).toHaveLength(1);
    expect(success[0]!.sender).toBe(add);
    expect(success[0]!['runtime']).toBeGreaterThanOrEqual(0);
    expect(success[0]!['runtime']).toBeLessThan(5);
    expect(of('task_postrun', res.id)[0]).toMatchObject({ sender: add, taskId: res.id, retval: 42, state: 'SUCCESS' });
    expect(reported).toContain('task_prerun: receiver bug');
  });

  it('failure: task_failure with the exception, args, traceback and einfo; task_postrun state FAILURE', async () => {
    const fail = r.app.getTask('boot.fail');
    const res = await r.app.sendTask('boot.fail', ['x'], { kwargs: {} });
    await expect(res.get({ timeout: 15 })).rejects.toMatchObject({ name: 'ValueError' });
    await waitFor(() => of('task_postrun', res.id).length === 1, 5000, 'task_postrun');
    const [failure] = of('task_failure', res.id);
    expect(failure).toMatchObject({ sender: fail, taskId: res.id, args: ['x'], kwargs: {} });
    expect(failure!['exception']).toBeInstanceOf(Error);
    expect(failure!['exception'].message).toBe('bad: x');
    expect(failure!['traceback']).toContain('bad: x');
    expect(failure!['einfo']).toMatchObject({ type: 'ValueError', exception: failure!['exception'] });
    expect(of('task_postrun', res.id)[0]).toMatchObject({ state: 'FAILURE', retval: failure!['exception'] });
  });

  it('retry: task_retry with the request, the reason and einfo, then success on the second run', async () => {
    const flaky = r.app.getTask('boot.flaky');
    const res = await r.app.sendTask('boot.flaky');
    expect(await res.get({ timeout: 15 })).toBe('recovered');
    // the second run may finish before the first one has sent task_retry (sent after the resend)
    await waitFor(() => of('task_retry', res.id).length >= 1, 5000, 'task_retry');
    const [retry, ...more] = of('task_retry', res.id);
    expect(more).toHaveLength(0);
    expect(retry!.sender).toBe(flaky);
    expect(retry!['request']).toMatchObject({ id: res.id, task: 'boot.flaky', retries: 0 });
    expect((retry!['reason'] as Error).message).toBe('flaky once');
    expect(retry!['einfo']).toMatchObject({ type: 'Error' });
    await waitFor(() => of('task_postrun', res.id).length === 2, 5000, 'two task_postrun');
    // one task_postrun per run; the second run may end before the first (the resend goes out first)
    expect(of('task_postrun', res.id).map((e) => e['state']).sort()).toEqual(['RETRY', 'SUCCESS']);
    expect(of('task_prerun', res.id)).toHaveLength(2);
  });

  it('expired: task_revoked with expired=true and terminated=false, no task_prerun', async () => {
    const add = r.app.getTask('boot.add');
    const res = await r.app.sendTask('boot.add', [1, 1], { expires: new Date(Date.now() - 1000) });
    await expect(res.get({ timeout: 15 })).rejects.toMatchObject({ name: 'TaskRevokedError' });
    await waitFor(() => of('task_revoked', res.id).length === 1, 5000, 'task_revoked');
    expect(of('task_revoked', res.id)[0]).toMatchObject({ sender: add, expired: true, terminated: false, signum: null, request: { id: res.id, task: 'boot.add' } });
    expect(of('task_prerun', res.id)).toHaveLength(0);
  });

  it('unknown task: task_unknown with name, id, the message and NotRegistered; sender the consumer', async () => {
    const res = await r.app.sendTask('boot.nope', [1]);
    await expect(res.get({ timeout: 15 })).rejects.toMatchObject({ name: 'NotRegistered' });
    await waitFor(() => of('task_unknown', res.id).length === 1, 5000, 'task_unknown');
    const [unknown] = of('task_unknown', res.id);
    expect(unknown).toMatchObject({ sender: worker.consumer, name: 'boot.nope', id: res.id });
    expect(unknown!['message']).toBeInstanceOf(Message);
    expect(unknown!['exc']).toMatchObject({ name: 'NotRegistered', code: 'CQ_APP_NOT_REGISTERED' });
  });

  it('a message that is not a task: task_rejected with the message and exc null; sender the consumer', async () => {
    const conn = r.app.connection();
    const producer = new Producer(await conn.channel());
    await producer.publish('{"hello": "world"}', { routingKey: r.queue, contentType: 'application/json', contentEncoding: 'utf-8', headers: { marker: 'not-a-task' } });
    await conn.close();
    await waitFor(() => events['task_rejected']!.length === 1, 10_000, 'task_rejected');
    const [rejected] = events['task_rejected']!;
    expect(rejected!.sender).toBe(worker.consumer);
    expect(rejected!['exc']).toBeNull();
    expect((rejected!['message'] as Message).headers['marker']).toBe('not-a-task');
    expect(await r.messageCount()).toBe(0);
  });

  it('worker_shutting_down (sender the node name) then worker_shutdown (sender the worker) when it stops', async () => {
    await worker.stop();
    expect(order.slice(2)).toEqual(['worker_shutting_down', 'worker_shutdown']);
    expect(events['worker_shutting_down']![0]).toMatchObject({ sender: worker.hostname, sig: null, how: 'warm', exitcode: 0 });
    expect(events['worker_shutdown']![0]!.sender).toBe(worker);
  });
});
