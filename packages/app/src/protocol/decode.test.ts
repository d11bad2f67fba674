import { describe, expect, it } from 'vitest';
import { decodeTaskMessage } from './decode.js';
import { InvalidTaskError } from '../errors.js';

const ID = 'aaaaaaaa-1111-4222-8333-444455556666';
const NO_EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };

function invalid(fn: () => unknown): InvalidTaskError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTaskError);
    expect((err as InvalidTaskError).code).toBe('CQ_PROTOCOL_INVALID_TASK');
    return err as InvalidTaskError;
  }
  throw new Error('expected InvalidTaskError');
}

describe('decodeTaskMessage: protocol 2', () => {
  it('runs a message whose headers are only task and id, with Celery defaults', () => {
    const r = decodeTaskMessage({ task: 'tasks.add', id: ID }, {}, [[2, 3], {}, null]);
    expect(r).toMatchObject({
      name: 'tasks.add', id: ID, args: [2, 3], kwargs: {}, embed: NO_EMBED, eta: null, expires: null,
      retries: 0, timeLimit: [null, null], rootId: null, parentId: null, group: null, groupIndex: null,
      shadow: null, ignoreResult: false, replyTo: null, correlationId: ID, origin: null, argsrepr: '',
      kwargsrepr: '', protocol: 2,
    });
  });

  it('accepts an empty embed object and reads Z, offset and naive dates', () => {
    const r = decodeTaskMessage(
      { task: 't', id: ID, eta: '2024-01-02T03:04:05.678Z', expires: '2024-01-02T05:04:05+02:00' },
      { correlation_id: 'corr', reply_to: 'rq' },
      [[], {}, {}],
    );
    expect(r.embed).toEqual(NO_EMBED);
    expect(r.eta?.toISOString()).toBe('2024-01-02T03:04:05.678Z');
    expect(r.expires?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(r.correlationId).toBe('corr');
    expect(r.replyTo).toBe('rq');
    const naive = decodeTaskMessage({ task: 't', id: ID, eta: '2024-01-02T03:04:05' }, {}, [[], {}, null]);
    expect(naive.eta?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
  });

  it('rejects invalid eta and expires values', () => {
    const eta = invalid(() => decodeTaskMessage({ task: 't', id: ID, eta: 'soon' }, {}, [[], {}, null]));
    expect(eta.message).toMatch(/^invalid ETA value "soon"/);
    expect(eta.cause).toBeInstanceOf(Error);
    invalid(() => decodeTaskMessage({ task: 't', id: ID, expires: '2024-13-45T00:00:00' }, {}, [[], {}, null]));
    invalid(() => decodeTaskMessage({ task: 't', id: ID, eta: 12345 }, {}, [[], {}, null]));
  });

  it('rejects bodies and fields of the wrong shape', () => {
    invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, [[], {}]));
    invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, 'text'));
    invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, [{}, {}, null]));
    invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, [[], [], null]));
    invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, [[], {}, { chain: 'x' }]));
    invalid(() => decodeTaskMessage({ task: 't' }, {}, [[], {}, null]));
    invalid(() => decodeTaskMessage({ task: 5, id: ID }, {}, [[], {}, null]));
  });

  it('refuses a message that is neither v2 nor v1', () => {
    const err = invalid(() => decodeTaskMessage({}, {}, [[1], {}, null]));
    expect(err.message).toMatch(/not a task/);
    invalid(() => decodeTaskMessage(undefined, undefined, { args: [] }));
  });
});

describe('decodeTaskMessage: hybrid form', () => {
  it('takes args and embed from the dict body and lets headers win', () => {
    const body = {
      task: 'body.name', id: 'body-id', args: [1, 2], kwargs: { a: 1 }, retries: 4, eta: '2030-01-01T00:00:00Z',
      origin: 'body-origin', callbacks: [{ task: 'cb' }], chord: { task: 'ch' }, chain: [{ task: 'ignored' }],
      timelimit: [9, 8],
    };
    const r = decodeTaskMessage({ task: 'hdr.name', id: ID, retries: 1 }, {}, body);
    expect(r).toMatchObject({
      name: 'hdr.name', id: ID, args: [1, 2], kwargs: { a: 1 }, retries: 1, origin: 'body-origin',
      eta: new Date('2030-01-01T00:00:00Z'), timeLimit: [9, 8], protocol: 2,
      embed: { callbacks: [{ task: 'cb' }], errbacks: null, chain: null, chord: { task: 'ch' } },
    });
    expect(r.headers).toEqual({ task: 'hdr.name', id: ID, retries: 1 });
  });

  it('requires kwargs to be a mapping', () => {
    invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, { args: [], kwargs: [1] }));
  });
});

describe('decodeTaskMessage: protocol 1', () => {
  const v1 = {
    task: 'tasks.add', id: ID, args: [2, 3], kwargs: { z: "it's" }, retries: 1, eta: '2030-01-02T03:04:05.000006+00:00',
    expires: null, utc: true, callbacks: null, errbacks: [{ task: 'err' }], timelimit: [10, 5], taskset: 'ts-1',
    chord: null,
  };

  it('converts the body dict (taskset → group, saferepr of the list)', () => {
    const r = decodeTaskMessage({}, { correlation_id: ID, reply_to: '' }, structuredClone(v1));
    expect(r).toMatchObject({
      name: 'tasks.add', id: ID, args: [2, 3], kwargs: { z: "it's" }, retries: 1, group: 'ts-1',
      timeLimit: [10, 5], argsrepr: '[2, 3]', kwargsrepr: "{'z': 'it\\'s'}", replyTo: null, protocol: 1,
      embed: { callbacks: null, errbacks: [{ task: 'err' }], chain: null, chord: null },
      rootId: null, parentId: null, ignoreResult: false,
    });
    expect(r.eta?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
  });

  it('reads naive dates as local time when utc is false', () => {
    const r = decodeTaskMessage({}, {}, { ...v1, eta: '2030-06-01T12:00:00', utc: false });
    expect(r.eta?.getTime()).toBe(new Date(2030, 5, 1, 12, 0, 0).getTime());
    const aware = decodeTaskMessage({}, {}, { ...v1, eta: '2030-06-01T12:00:00+00:00', utc: false });
    expect(aware.eta?.toISOString()).toBe('2030-06-01T12:00:00.000Z');
  });

  it('rejects an invalid eta', () => {
    invalid(() => decodeTaskMessage({}, {}, { ...v1, eta: '2030-02-30T00:00:00' }));
  });
});
