import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { buildTaskMessage, isTaskMessage } from './v2.js';
import { decodeTaskMessage } from './decode.js';
import { InvalidTaskOptionsError } from '../errors.js';
import type { SignatureDict } from './types.js';

const ID = '5f0c2a3e-1111-4222-8333-444455556666';
const NOW = new Date('2026-03-04T05:06:07.890Z');

const sig = (task: string, args: unknown[] = []): SignatureDict => ({
  task, args, kwargs: {}, options: {}, subtask_type: null, immutable: false,
});

describe('buildTaskMessage', () => {
  it('writes every header in Python order with Celery defaults', () => {
    const m = buildTaskMessage({ name: 'tasks.add', id: ID, args: [2, 3], kwargs: { z: 1 }, now: NOW });
    expect(Object.keys(m.headers)).toEqual([
      'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries', 'timelimit',
      'root_id', 'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result',
      'replaced_task_nesting', 'stamped_headers', 'stamps',
    ]);
    expect(m.headers).toEqual({
      lang: 'py', task: 'tasks.add', id: ID, shadow: null, eta: null, expires: null, group: null,
      group_index: null, retries: 0, timelimit: [null, null], root_id: ID, parent_id: null,
      argsrepr: '(2, 3)', kwargsrepr: "{'z': 1}", origin: `gen${process.pid}@${hostname()}`,
      ignore_result: false, replaced_task_nesting: 0, stamped_headers: null, stamps: {},
    });
    expect(m.properties).toEqual({ correlation_id: ID, reply_to: '', delivery_mode: 2, priority: 0 });
    expect(m.body).toEqual([[2, 3], { z: 1 }, { callbacks: null, errbacks: null, chain: null, chord: null }]);
  });

  it('turns countdown into eta (6-digit fraction, +00:00) and lets it win over eta', () => {
    const m = buildTaskMessage({ name: 't', id: ID, countdown: 30, eta: new Date(0), now: NOW });
    expect(m.headers.eta).toBe('2026-03-04T05:06:37.890000+00:00');
    expect(m.properties.expiration).toBeUndefined();
  });

  it('formats an eta Date and passes an eta string through unchanged', () => {
    expect(buildTaskMessage({ name: 't', id: ID, eta: new Date('2030-01-02T03:04:05Z') }).headers.eta)
      .toBe('2030-01-02T03:04:05.000000+00:00');
    expect(buildTaskMessage({ name: 't', id: ID, eta: '2030-01-02T03:04:05+00:00' }).headers.eta)
      .toBe('2030-01-02T03:04:05+00:00');
  });

  it('sets expires and the expiration property (ms string) for seconds, Dates and strings', () => {
    const secs = buildTaskMessage({ name: 't', id: ID, expires: 60, now: NOW });
    expect(secs.headers.expires).toBe('2026-03-04T05:07:07.890000+00:00');
    expect(secs.properties.expiration).toBe('60000');
    const fractional = buildTaskMessage({ name: 't', id: ID, expires: 1.2345, now: NOW });
    expect(fractional.properties.expiration).toBe('1234');
    const date = buildTaskMessage({ name: 't', id: ID, expires: new Date(NOW.getTime() + 90_500), now: NOW });
    expect(date.headers.expires).toBe('2026-03-04T05:07:38.390000+00:00');
    expect(date.properties.expiration).toBe('90500');
    const past = buildTaskMessage({ name: 't', id: ID, expires: '2020-01-01T00:00:00+00:00', now: NOW });
    expect(past.headers.expires).toBe('2020-01-01T00:00:00+00:00');
    expect(past.properties.expiration).toBe('0');
  });

  it('orders timelimit [hard, soft]', () => {
    expect(buildTaskMessage({ name: 't', id: ID, timeLimit: 20, softTimeLimit: 10 }).headers.timelimit).toEqual([20, 10]);
    expect(buildTaskMessage({ name: 't', id: ID, softTimeLimit: 5 }).headers.timelimit).toEqual([null, 5]);
  });

  it('carries workflow ids, embed, routing properties and merges extra headers last', () => {
    const chain = [sig('c', [4]), sig('b', [3])];
    const m = buildTaskMessage({
      name: 'a', id: ID, rootId: 'root', parentId: 'parent', group: 'g', groupIndex: 2, shadow: 'shadowed',
      retries: 3, callbacks: [sig('cb')], errbacks: [sig('eb')], chain, chord: sig('body'),
      replyTo: 'oid', priority: 7, deliveryMode: 1, ignoreResult: true, origin: 'me@host',
      argsrepr: '(secret)', headers: { 'x-custom': 'v', retries: 9 },
    });
    expect(m.headers).toMatchObject({
      root_id: 'root', parent_id: 'parent', group: 'g', group_index: 2, shadow: 'shadowed', retries: 9,
      ignore_result: true, origin: 'me@host', argsrepr: '(secret)', kwargsrepr: '{}', 'x-custom': 'v',
    });
    expect(m.properties).toEqual({ correlation_id: ID, reply_to: 'oid', delivery_mode: 1, priority: 7 });
    expect(m.body[2]).toEqual({ callbacks: [sig('cb')], errbacks: [sig('eb')], chain, chord: sig('body') });
  });

  it('defaults an empty root id to the task id', () => {
    expect(buildTaskMessage({ name: 't', id: ID, rootId: '' }).headers.root_id).toBe(ID);
  });

  it('rejects what Celery rejects', () => {
    const bad = [
      { name: 't', id: ID, args: 'nope' as unknown as unknown[] },
      { name: 't', id: ID, kwargs: [1] as unknown as Record<string, unknown> },
      { name: 't', id: ID, countdown: Number.NaN },
      { name: 't', id: ID, expires: -3e9 },
      { name: 't', id: ID, expires: 'tomorrow' },
      { name: '', id: ID },
    ];
    for (const o of bad) {
      expect(() => buildTaskMessage(o)).toThrow(InvalidTaskOptionsError);
    }
    try {
      buildTaskMessage({ name: 't', id: ID, eta: new Date(Number.NaN) });
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidTaskOptionsError).code).toBe('CQ_PROTOCOL_INVALID_OPTIONS');
    }
  });
});

describe('isTaskMessage', () => {
  it('is true exactly when a task header is present', () => {
    expect(isTaskMessage({ task: 't', id: ID })).toBe(true);
    expect(isTaskMessage({ id: ID })).toBe(false);
    expect(isTaskMessage({})).toBe(false);
    expect(isTaskMessage(null)).toBe(false);
  });
});

describe('build → decode round trip', () => {
  it('gives back every field', () => {
    const m = buildTaskMessage({
      name: 'tasks.add', id: ID, args: [1, { a: [true, null] }], kwargs: { k: 'ü' }, countdown: 10,
      expires: 120, timeLimit: 30, softTimeLimit: 20, group: 'g', groupIndex: 0, parentId: 'p', rootId: 'r',
      shadow: 's', retries: 2, replyTo: 'reply', ignoreResult: true, chain: [sig('next')], now: NOW,
    });
    const r = decodeTaskMessage(m.headers, { ...m.properties }, structuredClone(m.body));
    expect(r).toEqual({
      name: 'tasks.add', id: ID, args: [1, { a: [true, null] }], kwargs: { k: 'ü' },
      embed: { callbacks: null, errbacks: null, chain: [sig('next')], chord: null },
      eta: new Date(NOW.getTime() + 10_000), expires: new Date(NOW.getTime() + 120_000), retries: 2,
      timeLimit: [30, 20], rootId: 'r', parentId: 'p', group: 'g', groupIndex: 0, shadow: 's',
      ignoreResult: true, replyTo: 'reply', correlationId: ID, origin: m.headers.origin,
      argsrepr: "(1, {'a': [True, None]})", kwargsrepr: "{'k': 'ü'}", headers: m.headers, protocol: 2,
    });
  });
});
