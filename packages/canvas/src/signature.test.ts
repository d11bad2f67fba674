/**
 * Signature dicts and argument merging, checked against golden messages captured from Python Celery
 * 5.2.6 (spec/fixtures/redis: chain3, link_callbacks): their embedded dicts read and write back
 * unchanged, and the Python merge rules hold (partial args first, immutable ignores them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Celery, type SignatureDict } from '@cq/app';
import { Chain, chain } from './chain.js';
import { signatureFromDict } from './from-dict.js';
import { Group, group } from './group.js';
import { Signature, immutable, signature } from './signature.js';
import { toApplyOptions } from './options.js';

const REDIS = new URL('../../../spec/fixtures/redis/', import.meta.url);

/** The `embed` of a captured kombu Redis envelope. */
function embedOf(name: string): { callbacks: SignatureDict[] | null; errbacks: SignatureDict[] | null; chain: SignatureDict[] | null } {
  const env = JSON.parse(readFileSync(new URL(`${name}.json`, REDIS), 'utf8')) as { body: string };
  return (JSON.parse(Buffer.from(env.body, 'base64').toString('utf8')) as [unknown, unknown, never])[2];
}

const app = new Celery('canvas-unit', { broker_url: 'memory://' });
const add = app.task('tasks.add', (x: number, y: number) => x + y);

describe('signature dicts', () => {
  it('reads and writes back the chain elements Python Celery embedded', () => {
    const elems = embedOf('chain3').chain!;
    expect(elems).toHaveLength(2);
    for (const elem of elems) {
      const sig = Signature.fromDict(elem, app);
      expect(sig.task).toBe('tasks.add');
      expect(sig.toDict()).toEqual(elem);
      expect(Object.keys(sig.toDict())).toEqual(['task', 'args', 'kwargs', 'options', 'subtask_type', 'immutable']);
    }
  });

  it('reads and writes back link and link_error signatures', () => {
    const embed = embedOf('link_callbacks');
    expect(Signature.fromDict(embed.callbacks![0]!).toDict()).toEqual(embed.callbacks![0]);
    expect(Signature.fromDict(embed.errbacks![0]!).toDict()).toEqual(embed.errbacks![0]);
  });

  it('tolerates the legacy chord_size key of Celery <= 5.0', () => {
    const sig = Signature.fromDict({ task: 't', args: [1], kwargs: {}, options: {}, subtask_type: null, immutable: true, chord_size: null });
    expect(sig.toDict()).toEqual({ task: 't', args: [1], kwargs: {}, options: {}, subtask_type: null, immutable: true });
  });

  it('writes chain and group as Celery composite dicts and reads them back as their classes', () => {
    const c = chain(signature(add, [1, 2]), signature(add, [3]));
    const d = c.toDict();
    expect(d).toEqual({
      task: 'celery.chain', args: [], kwargs: { tasks: [signature(add, [1, 2]).toDict(), signature(add, [3]).toDict()] },
      options: {}, subtask_type: 'chain', immutable: false,
    });
    expect(signatureFromDict(d)).toBeInstanceOf(Chain);
    const g = group(signature(add, [1, 1]), immutable(add, [2, 2]));
    expect(g.toDict()).toMatchObject({ task: 'celery.group', subtask_type: 'group', kwargs: { tasks: [{ immutable: false }, { immutable: true }] } });
    const back = signatureFromDict(g.toDict());
    expect(back).toBeInstanceOf(Group);
    expect((back as Group).tasks.map((t) => t.args)).toEqual([[1, 1], [2, 2]]);
  });

  it('rejects a dict without a task name', () => {
    expect(() => Signature.fromDict({ args: [] })).toThrow(expect.objectContaining({ code: 'CQ_CANVAS_SIGNATURE_DICT' }));
  });
});

describe('partial application and options', () => {
  it('prepends partial args and merges kwargs unless immutable (Celery _merge)', () => {
    expect(signature(add, [3], { z: 1 }).merge([10], { w: 2 })).toEqual({ args: [10, 3], kwargs: { z: 1, w: 2 } });
    expect(immutable(add, [1, 1]).merge([10], { w: 2 })).toEqual({ args: [1, 1], kwargs: {} });
  });

  it('clones deeply and applies partial args to the clone only', () => {
    const sig = signature(add, [3]).set({ queue: 'q1' });
    const copy = sig.clone([7]);
    copy.options['queue'] = 'q2';
    expect(copy.args).toEqual([7, 3]);
    expect(sig.args).toEqual([3]);
    expect(sig.options).toEqual({ queue: 'q1' });
  });

  it('keeps options in Celery snake_case and converts them back for sending', () => {
    const sig = signature(add, [1]).set({ routingKey: 'rk', countdown: 5, timeLimit: 30, taskId: 'abc' });
    expect(sig.options).toEqual({ routing_key: 'rk', countdown: 5, time_limit: 30, task_id: 'abc' });
    expect(toApplyOptions(sig.options)).toEqual({ routingKey: 'rk', countdown: 5, timeLimit: 30, taskId: 'abc' });
    expect(sig.set({ immutable: true }).immutable).toBe(true);
  });

  it('collects link and link_error as lists of dicts', () => {
    const sig = signature(add, [1, 2]);
    sig.link(signature(add, [10]));
    sig.link(signature(add, [20]));
    sig.linkError(immutable('tasks.on_error', [0]));
    expect((sig.options['link'] as SignatureDict[]).map((d) => d.args)).toEqual([[10], [20]]);
    expect(sig.options['link_error']).toEqual([{ task: 'tasks.on_error', args: [0], kwargs: {}, options: {}, subtask_type: null, immutable: true }]);
    expect(toApplyOptions(sig.options).link).toHaveLength(2);
  });

  it('freezes a task id and the client id as reply_to, keeping an id already set', () => {
    const sig = signature(add, [1]);
    const r = sig.freeze({ groupId: 'g', groupIndex: 2 });
    expect(sig.options).toEqual({ task_id: r.id, reply_to: app.oid, group_id: 'g', group_index: 2 });
    expect(sig.freeze().id).toBe(r.id);
  });
});
