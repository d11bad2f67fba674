/**
 * Chords on the wire and their join, on Redis db 2 (broker and results, queue `cqt.chord.canvas.*`):
 * the header messages compared with what Python Celery 5.2.6 sends (`group`, `group_index`,
 * `embed.chord` = the body dict with its frozen id, the size under `celery-taskset-meta-<gid>.s`),
 * then the header "run" by calling the worker's continuation on each decoded message, as a worker
 * does after a task finished: the last part sends the body with the ordered results; a failed part
 * fails the body with ChordError and sends the body's errbacks.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, type TaskRequest, type TaskRequestFields } from '@cq/app';
import { redisBackend, type RedisBackend } from '@cq/backend-redis';
import { redisTransport } from '@cq/transport-redis';
import { Chord, chord, continueOnFailure, continueOnSuccess, group, signature, signatureFromDict } from '../src/index.js';
import { drainTasks } from './helpers.js';

const URL = 'redis://127.0.0.1:6379/2';
const QUEUE = `cqt.chord.canvas.${randomUUID().slice(0, 8)}`;
const app = new Celery('canvas-chord', { broker_url: URL, result_backend: URL, task_default_queue: QUEUE, result_expires: 600 }, {
  plugins: [redisTransport(), redisBackend()],
});
const add = app.task('tasks.add', (x: number, y: number) => x + y);
const tsum = app.task('tasks.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
/** The result backend's own Redis connection (db 2), for raw reads. */
const raw = {
  client: async () => ((await app.backend()) as unknown as RedisBackend).client,
  get: async (k: string) => (await raw.client()).get(k),
  del: async (...k: string[]) => (await raw.client()).del(...k),
  exists: async (k: string) => (await raw.client()).exists(k),
  keys: async (p: string) => (await raw.client()).keys(p),
};
const resultIds = new Set<string>();

afterAll(async () => {
  const keys = [...resultIds].map((id) => `celery-task-meta-${id}`);
  for (const pattern of [`*${QUEUE}*`]) keys.push(...await raw.keys(pattern));
  if (keys.length > 0) await raw.del(...keys);
  await app.close();
});

/** Takes every message in the test queue, decoded as the worker would; their results are deleted afterwards. */
async function drain(): Promise<TaskRequestFields[]> {
  const out = await drainTasks(app, QUEUE);
  for (const fields of out) resultIds.add(fields.id);
  return out;
}

/** The request a worker builds for a received message (what the continuation reads). */
function requestOf(f: TaskRequestFields): TaskRequest {
  return {
    id: f.id, task: f.name, args: f.args, kwargs: f.kwargs, retries: f.retries, eta: null, expires: null, hostname: 'test@local',
    deliveryInfo: {} as TaskRequest['deliveryInfo'], replyTo: f.replyTo ?? null, correlationId: f.id, parentId: f.parentId ?? null,
    rootId: f.rootId ?? null, group: f.group ?? null, groupIndex: f.groupIndex ?? null, origin: null, timeLimit: [null, null],
    ignoreResult: false, headers: f.headers, embed: f.embed, isEager: false,
  };
}

describe('chord', () => {
  it('sends the header as Python does: group + group_index headers, embed.chord = the frozen body, size in .s', async () => {
    const body = signature(tsum);
    const result = await chord([signature(add, [1, 1]), signature(add, [2, 2]), signature(add, [3, 3])], body).applyAsync();
    const msgs = await drain();
    expect(msgs.map((m) => m.name)).toEqual(['tasks.add', 'tasks.add', 'tasks.add']);
    const gid = msgs[0]!.group!;
    expect(msgs.map((m) => m.group)).toEqual([gid, gid, gid]);
    expect(msgs.map((m) => m.groupIndex)).toEqual([0, 1, 2]);
    expect(msgs.map((m) => m.args)).toEqual([[1, 1], [2, 2], [3, 3]]);
    for (const m of msgs) {
      expect(m.embed.chord).toEqual({ task: 'tasks.tsum', args: [], kwargs: {}, options: { task_id: result.id, reply_to: app.oid }, subtask_type: null, immutable: false });
      expect(m.embed.callbacks).toBeNull();
    }
    expect(await raw.get(`celery-taskset-meta-${gid}.s`)).toBe('3');
    await raw.del(`celery-taskset-meta-${gid}.s`);
  });

  it('reads and writes Celery\'s chord dict (header list, body, kwargs.kwargs)', () => {
    const c = chord([signature(add, [1, 1])], signature(tsum));
    const dict = c.toDict();
    expect(dict).toMatchObject({ task: 'celery.chord', subtask_type: 'chord', kwargs: { kwargs: {}, header: [{ task: 'tasks.add', args: [1, 1] }], body: { task: 'tasks.tsum' } } });
    const back = signatureFromDict(JSON.parse(JSON.stringify(dict)) as never, app);
    expect(back).toBeInstanceOf(Chord);
    expect(back.toDict()).toEqual(dict);
    expect(() => chord([group(signature(add, [1, 1]))], signature(tsum))).not.toThrow();
  });

  it('the part that finishes last sends the body with every result in group order', async () => {
    const result = await chord(Array.from({ length: 10 }, (_, i) => signature(add, [i, i])), signature(tsum)).applyAsync();
    const header = await drain();
    expect(header).toHaveLength(10);
    // Finish in reverse order: the body still gets the results by group_index.
    for (const m of [...header].reverse()) {
      await continueOnSuccess({ app, request: requestOf(m) }, (m.args[0] as number) + (m.args[1] as number));
    }
    const [bodyMsg, ...more] = await drain();
    expect(more).toHaveLength(0);
    expect(bodyMsg!.id).toBe(result.id);
    expect(bodyMsg!.name).toBe('tasks.tsum');
    expect(bodyMsg!.args).toEqual([[0, 2, 4, 6, 8, 10, 12, 14, 16, 18]]);
    expect(await raw.exists(`celery-taskset-meta-${header[0]!.group!}.j`)).toBe(0);
  });

  it('a failed header task fails the body with ChordError and sends the body\'s errbacks with its id', async () => {
    const body = signature(tsum);
    body.linkError(signature('tasks.on_chord_error'));
    const result = await chord([signature(add, [1, 1]), signature(add, [2, 2])], body).applyAsync();
    resultIds.add(result.id);
    const [first, second] = await drain();
    const backend = (await app.backend())!;
    const boom = Object.assign(new Error('boom'), { name: 'ValueError' });
    await backend.markAsFailure(second!.id, boom);
    await continueOnFailure({ app, request: requestOf(second!) }, boom, { backend, traceback: null, storeErrors: true });
    expect((await backend.getTaskMeta(result.id)).status).toBe('PENDING');
    await continueOnSuccess({ app, request: requestOf(first!) }, 2);
    const meta = await backend.getTaskMeta(result.id);
    expect(meta.status).toBe('FAILURE');
    expect(meta.result).toEqual({
      exc_type: 'ChordError', exc_module: 'celery.exceptions', exc_message: [`Dependency ${second!.id} raised ValueError('boom')`],
    });
    const sent = await drain();
    expect(sent.map((m) => [m.name, m.args])).toEqual([['tasks.on_chord_error', [result.id]]]);
    await expect(result.get({ timeout: 5 })).rejects.toMatchObject({ excType: 'ChordError' });
  });

  it('an empty header applies the body with [] at once', async () => {
    const result = await chord([], signature(tsum)).applyAsync();
    const [msg] = await drain();
    expect(msg!.id).toBe(result.id);
    expect(msg!.args).toEqual([[]]);
  });

  it('refuses a chord without body', async () => {
    await expect(chord([signature(add, [1, 1])]).applyAsync()).rejects.toMatchObject({ code: 'CQ_CANVAS_USAGE' });
  });
});
