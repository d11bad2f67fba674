/**
 * Nested canvas shapes on the wire (Celery `_chain.prepare_steps`, `chord.run`, `chord._descend`),
 * captured on a memory broker: a group followed by a task in a chain becomes a chord wherever it
 * stands, the chord's body carries the rest of the chain, the last task of a chain in a chord header
 * carries the chord, and the chord size counts as Celery counts it. No worker runs here; the worker
 * tests (packages/worker/test/canvas-shapes.test.ts) run the same shapes end to end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, after_task_publish, type SignatureDict } from '@cq/app';
import { Chain, chain } from './chain.js';
import { Chord, chord, chordSize } from './chord.js';
import { signatureFromDict } from './from-dict.js';
import { Group, group } from './group.js';
import { GroupResult } from './group-result.js';
import { immutable, signature } from './signature.js';

const app = new Celery('canvas-shapes', { broker_url: 'memory://', result_backend: 'memory://' });
const add = app.task('tasks.add', (x: number, y: number) => x + y);
const tsum = app.task('tasks.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const str = app.task('tasks.str', (x: number) => String(x));
type Sent = { task: string; id: string; group: unknown; groupIndex: unknown; args: unknown[]; embed: { chain: SignatureDict[] | null; chord: SignatureDict | null } };
const sent: Sent[] = [];
const untrack = after_task_publish.connect(({ headers, body }) => {
  const [args, , embed] = body as [unknown[], unknown, Sent['embed']];
  sent.push({ task: headers['task'] as string, id: headers['id'] as string, group: headers['group'], groupIndex: headers['group_index'], args, embed });
}, { dispatchUid: 'cqt.canvas.shapes.unit' });
afterAll(async () => {
  untrack();
  await app.close();
});

async function capture(run: () => Promise<unknown>): Promise<{ result: unknown; messages: Sent[] }> {
  sent.length = 0;
  const result = await run();
  return { result, messages: sent.filter((m) => m.task !== 'celery.chord_unlock') };
}

describe('a group followed by a task in a chain is a chord (Celery prepare_steps)', () => {
  it('group | tsum: the header goes out with embed.chord = tsum, resolved by the body id', async () => {
    const { result, messages } = await capture(() => chain(group(signature(add, [1, 1]), signature(add, [2, 2])), signature(tsum)).applyAsync());
    expect(messages.map((m) => [m.task, m.groupIndex])).toEqual([['tasks.add', 0], ['tasks.add', 1]]);
    expect(new Set(messages.map((m) => m.group)).size).toBe(1);
    const body = messages[0]!.embed.chord!;
    expect(body.task).toBe('tasks.tsum');
    expect(body.options['task_id']).toBe((result as { id: string }).id);
    expect(messages[0]!.embed.chain ?? []).toEqual([]);
  });

  it('group | tsum | str: the body carries the rest of the chain', async () => {
    const { result, messages } = await capture(() => chain(group(signature(add, [1, 1]), signature(add, [2, 2])), signature(tsum), signature(str)).applyAsync());
    const body = messages[0]!.embed.chord!;
    const rest = body.options['chain'] as SignatureDict[];
    expect(rest.map((d) => d.task)).toEqual(['tasks.str']);
    expect(rest[0]!.options['task_id']).toBe((result as { id: string }).id);
  });

  it('add | group | tsum | str: the chord travels in embed.chain as a celery.chord dict', async () => {
    const { result, messages } = await capture(() => chain(signature(add, [1, 1]), group(signature(add, [1]), signature(add, [2])), signature(tsum), signature(str)).applyAsync());
    expect(messages).toHaveLength(1);
    const [strDict, chordDict] = messages[0]!.embed.chain!;
    expect(strDict!.options['task_id']).toBe((result as { id: string }).id);
    expect(chordDict).toMatchObject({ task: 'celery.chord', subtask_type: 'chord' });
    const back = signatureFromDict(chordDict!, app) as Chord;
    expect(back).toBeInstanceOf(Chord);
    expect(back.header.map((h) => h.args)).toEqual([[1], [2]]);
    expect(back.body!.task).toBe('tasks.tsum');
    expect(back.toDict()).toEqual(chordDict);
  });

  it('a one-member group is its member (maybe_unroll_group), nested chains are spliced', async () => {
    const { messages } = await capture(() => chain(group(signature(add, [1, 1])), chain(signature(add, [2]), signature(str))).applyAsync());
    expect(messages).toHaveLength(1);
    expect(messages[0]!.embed.chain!.map((d) => d.task)).toEqual(['tasks.str', 'tasks.add']);
  });

  it('a chord in a chain passes on the rest: chain(chord(h, tsum), str)', async () => {
    const { result, messages } = await capture(() => chain(chord([signature(add, [1, 1])], signature(tsum)), signature(str)).applyAsync());
    const body = messages[0]!.embed.chord!;
    expect((body.options['chain'] as SignatureDict[])[0]!.options['task_id']).toBe((result as { id: string }).id);
  });
});

describe('a group followed by a group or a chord in a chain (Celery 5.2 prepare_steps)', () => {
  it('group | group: a chord whose body is the second group, resolved by its GroupResult', async () => {
    const { result, messages } = await capture(() => chain(group(signature(add, [1, 1]), signature(add, [2, 2])), group(signature(tsum), signature(str))).applyAsync());
    expect(messages.map((m) => [m.task, m.groupIndex])).toEqual([['tasks.add', 0], ['tasks.add', 1]]);
    const body = messages[0]!.embed.chord!;
    expect(body).toMatchObject({ task: 'celery.group', subtask_type: 'group' });
    expect(body.options['chain']).toBeUndefined();
    const res = result as GroupResult;
    expect(res).toBeInstanceOf(GroupResult);
    expect(body.options['task_id']).toBe(res.id);
    const members = (body.kwargs as { tasks: SignatureDict[] }).tasks;
    expect(members.map((d) => [d.task, d.options['task_id']])).toEqual([['tasks.tsum', res.results[0]!.id], ['tasks.str', res.results[1]!.id]]);
  });

  it('group | chord: the body is the chord, resolved by its body', async () => {
    const { result, messages } = await capture(() => chain(group(signature(add, [1, 1]), signature(add, [2, 2])), chord([signature(add, [1]), signature(add, [2])], signature(tsum))).applyAsync());
    expect(messages).toHaveLength(2);
    const body = signatureFromDict(messages[0]!.embed.chord!, app) as Chord;
    expect(body).toBeInstanceOf(Chord);
    expect(body.header.map((h) => h.args)).toEqual([[1], [2]]);
    expect(body.body!.options['task_id']).toBe((result as { id: string }).id);
  });

  it('group | group | tsum: the second group and tsum make the inner chord', async () => {
    const { result, messages } = await capture(() => chain(group(signature(add, [1, 1]), signature(add, [2, 2])), group(signature(add, [1]), signature(add, [2])), signature(tsum)).applyAsync());
    const body = messages[0]!.embed.chord!;
    expect(body).toMatchObject({ task: 'celery.chord', subtask_type: 'chord' });
    expect((body.kwargs as { body: SignatureDict }).body.options['task_id']).toBe((result as { id: string }).id);
  });

  it('a chord built with a group body sends that group as embed.chord', async () => {
    const { result, messages } = await capture(() => chord([signature(add, [1, 1])], group(signature(tsum), signature(tsum))).applyAsync());
    expect(result).toBeInstanceOf(GroupResult);
    expect(messages[0]!.embed.chord).toMatchObject({ task: 'celery.group', options: { task_id: (result as GroupResult).id } });
  });
});

describe('chord headers with composite members', () => {
  it('counts the chord size as Celery _descend does', () => {
    const header = [
      signature(add, [1, 1]), group(signature(add, [1, 1]), signature(add, [2, 2])), chain(signature(add, [1, 1]), signature(add, [1])),
      chord([signature(add, [1, 1]), signature(add, [2, 2])], signature(tsum)), immutable(add, [0, 0]),
    ];
    expect(chordSize(header)).toBe(6);
  });

  it("a chain's last task and a nested chord's body carry the chord, the group id and their index", async () => {
    const { messages } = await capture(() => chord([
      chain(signature(add, [1, 1]), signature(add, [1])),
      chord([signature(add, [2, 2]), signature(add, [3, 3])], signature(tsum)),
      signature(add, [4, 4]),
    ], signature(tsum)).applyAsync());
    const outer = messages.find((m) => m.task === 'tasks.add' && m.args[0] === 4)!;
    const chainFirst = messages.find((m) => m.args[0] === 1)!;
    const last = chainFirst.embed.chain![0]!;
    expect(chainFirst.group).toBeNull();
    expect(last.options).toMatchObject({ group_id: outer.group, group_index: 0, chord: { task: 'tasks.tsum' } });
    const inner = messages.filter((m) => m.args[0] === 2 || m.args[0] === 3);
    expect(inner.every((m) => m.group !== outer.group && m.embed.chord!.task === 'tasks.tsum')).toBe(true);
    expect(inner[0]!.embed.chord!.options).toMatchObject({ group_id: outer.group, group_index: 1, chord: { task: 'tasks.tsum' } });
    expect(outer.groupIndex).toBe(2);
  });

  it('reads a chain member dict back as a Chain', () => {
    const c = chord([chain(signature(add, [1, 1]), signature(add, [1]))], signature(tsum));
    const back = signatureFromDict(c.toDict(), app) as Chord;
    expect(back.header[0]).toBeInstanceOf(Chain);
    expect(back.toDict()).toEqual(c.toDict());
    expect(Group.fromDict(group(c, signature(add, [1, 1])).toDict(), app).tasks[0]).toBeInstanceOf(Chord);
  });
});
