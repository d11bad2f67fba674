/**
 * What cq puts on the wire for canvases, read back raw from RabbitMQ (queues `cqt.canvas.*`) and
 * compared with the golden messages Python Celery 5.2.6 sent (spec/fixtures/redis: chain3,
 * link_callbacks, group_member_0); and GroupResult saved to / restored from Redis db 2.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, type TaskRequestFields } from '@cq/app';
import { redisBackend } from '@cq/backend-redis';
import { amqpTransport } from '@cq/transport-amqp';
import { chain, group, immutable, signature, GroupResult } from '../src/index.js';
import { drainTasks } from './helpers.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//';
const REDIS_URL = 'redis://127.0.0.1:6379/2';
const QUEUE = `cqt.canvas.embed.${randomUUID().slice(0, 8)}`;

const app = new Celery('canvas-embed', { broker_url: AMQP_URL, result_backend: REDIS_URL, task_default_queue: QUEUE, result_expires: 600 }, {
  plugins: [amqpTransport(), redisBackend()],
});
const add = app.task('tasks.add', (x: number, y: number) => x + y);
const savedGroups: string[] = [];

afterAll(async () => {
  const backend = await app.backend();
  for (const id of savedGroups) await backend?.deleteGroup(id);
  const conn = app.connection();
  const ch = await conn.channel();
  await ch.deleteQueue(QUEUE).catch(() => 0);
  await ch.deleteExchange(QUEUE).catch(() => undefined);
  await conn.close();
  await app.close();
});

const drain = (): Promise<TaskRequestFields[]> => drainTasks(app, QUEUE);

function golden(name: string): { headers: Record<string, unknown>; body: [unknown[], Record<string, unknown>, Record<string, unknown>] } {
  const env = JSON.parse(readFileSync(new URL(`../../../spec/fixtures/redis/${name}.json`, import.meta.url), 'utf8')) as { headers: Record<string, unknown>; body: string };
  return { headers: env.headers, body: JSON.parse(Buffer.from(env.body, 'base64').toString('utf8')) as never };
}

/** A signature dict with its ids blanked, to compare shapes across runs. */
const shape = (d: Record<string, unknown>) => ({ ...d, options: Object.keys(d['options'] as object).sort() });

describe('canvas messages on the wire', () => {
  it('chain(add.s(1,2), add.s(3), add.s(4)) sends one message with the rest reversed in embed.chain, as Python does', async () => {
    const result = await chain(signature(add, [1, 2]), signature(add, [3]), signature(add, [4])).applyAsync();
    const [msg, ...more] = await drain();
    expect(more).toHaveLength(0);
    const py = golden('chain3');
    expect(msg!.name).toBe('tasks.add');
    expect(msg!.args).toEqual(py.body[0]);
    expect(msg!.rootId).toBe(msg!.id);
    expect(msg!.parentId).toBeNull();
    const ours = msg!.embed.chain!;
    const theirs = py.body[2]['chain'] as Record<string, unknown>[];
    expect(ours.map((d) => shape(d))).toEqual(theirs.map((d) => shape(d)));
    expect(ours.map((d) => d.options['reply_to'])).toEqual([app.oid, app.oid]);
    // The chain's result is the last task's frozen id (first element of the reversed list).
    expect(result.id).toBe(ours[0]!.options['task_id']);
    expect(new Set([msg!.id, ...ours.map((d) => d.options['task_id'])]).size).toBe(3);
  });

  it('a chain\'s link goes to its last task and its linkError to every task; taskId names the last task', async () => {
    const c = chain(signature(add, [1, 2]), signature(add, [3]));
    const r = await c.applyAsync([], { taskId: 'last-id', link: [signature('tasks.done').toDict()], linkError: [signature('tasks.oops').toDict()] });
    const [msg] = await drain();
    expect(r.id).toBe('last-id');
    expect(msg!.embed.callbacks).toBeNull();
    expect(msg!.embed.errbacks!.map((d) => d.task)).toEqual(['tasks.oops']);
    const [last] = msg!.embed.chain!;
    expect(last!.options).toMatchObject({ task_id: 'last-id', link: [{ task: 'tasks.done' }], link_error: [{ task: 'tasks.oops' }] });
  });

  it('refuses links on a group, as Celery does', async () => {
    await expect(group(signature(add, [1, 1])).applyAsync([], { link: [signature(add).toDict()] })).rejects.toMatchObject({ code: 'CQ_CANVAS_USAGE' });
    expect(await drain()).toHaveLength(0);
  });

  it('link and linkError travel in embed.callbacks / embed.errbacks like Python link= / link_error=', async () => {
    const sig = signature(add, [1, 2]);
    sig.link(signature(add, [10]));
    sig.linkError(signature('tasks.on_error'));
    await sig.applyAsync();
    const [msg] = await drain();
    const py = golden('link_callbacks');
    expect(msg!.embed.callbacks).toEqual(py.body[2]['callbacks']);
    expect(msg!.embed.errbacks).toEqual(py.body[2]['errbacks']);
    expect(msg!.embed.chain).toBeNull();
  });

  it('a group sends each member with the group id and its index, partial args prepended to mutable members', async () => {
    const res = await group(signature(add, [1]), immutable(add, [2, 2]), signature(add, [3])).applyAsync([100]);
    const msgs = await drain();
    expect(msgs.map((m) => m.group)).toEqual([res.id, res.id, res.id]);
    expect(msgs.map((m) => m.groupIndex)).toEqual([0, 1, 2]);
    expect(msgs.map((m) => m.args)).toEqual([[100, 1], [2, 2], [100, 3]]);
    expect(msgs.map((m) => m.id)).toEqual(res.results.map((r) => r.id));
    expect(golden('group_member_0').headers['group']).toEqual(expect.any(String));
  });

  it('GroupResult.save stores Celery\'s group tuple and restore reads it back', async () => {
    const res = await group(signature(add, [1, 1]), signature(add, [2, 2])).applyAsync();
    await drain();
    await res.save();
    savedGroups.push(res.id);
    const meta = await (await app.backend())!.restoreGroup(res.id);
    expect(meta!.result).toEqual([[res.id, null], res.results.map((r) => [[r.id, null], null])]);
    const back = await GroupResult.restore(res.id, app);
    expect(back!.results.map((r) => r.id)).toEqual(res.results.map((r) => r.id));
    expect(await GroupResult.restore(randomUUID(), app)).toBeNull();
  });
});
