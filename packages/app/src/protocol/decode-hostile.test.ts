/**
 * `decodeTaskMessage` against hostile input (cq issue 15): every header and property it reads, given
 * each value of a wrong type, in protocol 2, hybrid and protocol 1 messages, is an InvalidTaskError
 * naming it; random headers, properties and bodies (fast-check properties, replayable from the seed a
 * failure prints) are decoded or refused with InvalidTaskError, never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTaskError } from '../errors.js';
import { decodeTaskMessage } from './decode.js';

const ID = 'aaaaaaaa-1111-4222-8333-444455556666';

/** Values of every JSON/msgpack/YAML type a decoder can produce, by name. */
const VALUES: Record<string, unknown> = {
  string: 'x', empty: '', int: 3, negative: -1, float: 1.5, nan: NaN, infinity: Infinity, bigint: 2n ** 70n,
  true: true, false: false, list: [1], emptyList: [], mapping: { a: 1 }, bytes: Buffer.from('x'), date: new Date(0),
};

/** Each header or property the decoder reads, and the value kinds it accepts (null stands for absent everywhere). */
const ACCEPTS: Record<string, string[]> = {
  'header task': ['string', 'empty'],
  'header id': ['string'],
  'header root_id': ['string', 'empty'],
  'header parent_id': ['string', 'empty'],
  'header group': ['string', 'empty'],
  'header shadow': ['string', 'empty'],
  'header origin': ['string', 'empty'],
  'header argsrepr': ['string', 'empty'],
  'header kwargsrepr': ['string', 'empty'],
  'header retries': ['int'],
  'header group_index': ['int'],
  'header replaced_task_nesting': ['int'],
  'header ignore_result': ['true', 'false'],
  'header timelimit': [],
  'header stamped_headers': ['emptyList'],
  'header stamps': ['mapping'],
  'header eta': ['date'],
  'header expires': ['date'],
  'property reply_to': ['string', 'empty'],
  'property correlation_id': ['string', 'empty'],
};

const decodeV2 = (headers: Record<string, unknown>, properties: Record<string, unknown> = {}) =>
  decodeTaskMessage({ task: 't', id: ID, ...headers }, properties, [[1], {}, null]);
const decodeHybrid = (headers: Record<string, unknown>) =>
  decodeTaskMessage({ task: 't', id: ID, ...headers }, {}, { args: [1], kwargs: {} });
const decodeV1 = (fields: Record<string, unknown>) =>
  decodeTaskMessage({}, {}, { task: 't', id: ID, args: [1], kwargs: {}, ...fields });

function invalid(fn: () => unknown, naming: string): void {
  let thrown: unknown = null;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, naming).toBeInstanceOf(InvalidTaskError);
  expect((thrown as Error).message, naming).toContain(naming.replace(/^header /, ''));
}

describe('every header and property of the wrong type is an InvalidTaskError naming it', () => {
  for (const [field, accepted] of Object.entries(ACCEPTS)) {
    const key = field.split(' ')[1]!;
    const wrong = Object.keys(VALUES).filter((kind) => !accepted.includes(kind));
    it(`${field}: ${wrong.length} wrong kinds, in v2${field.startsWith('header') ? ', hybrid and v1' : ''} messages`, () => {
      for (const kind of wrong) {
        const value = VALUES[kind];
        // The task name and id, and dates, have messages of their own.
        const naming = key === 'task' ? 'task name' : key === 'id' ? 'id must be' : key === 'eta' ? 'ETA' : key === 'expires' ? 'expires' : key;
        if (field.startsWith('property')) {
          invalid(() => decodeV2({}, { [key]: value }), naming);
          continue;
        }
        invalid(() => decodeV2({ [key]: value }), `${naming} (${kind})`.replace(/ \(.*/, ''));
        invalid(() => decodeHybrid({ [key]: value }), naming);
        // v1 bodies: the worker computes argsrepr/kwargsrepr itself (Celery's proto1_to_proto2).
        if (!['task', 'argsrepr', 'kwargsrepr'].includes(key)) invalid(() => decodeV1({ [key]: value }), naming);
      }
    });
  }

  it('timelimit: each half must be seconds >= 0 or null', () => {
    expect(decodeV2({ timelimit: [10, null] }).timeLimit).toEqual([10, null]);
    for (const bad of [[-1, null], [null, 'x'], [NaN, 1], [1, [2]], [1]]) invalid(() => decodeV2({ timelimit: bad }), 'timelimit');
  });

  it('embedded signatures must be mappings with a string task', () => {
    const sig = { task: 'next', args: [], kwargs: {}, options: {}, subtask_type: null, immutable: false };
    expect(decodeTaskMessage({ task: 't', id: ID }, {}, [[], {}, { chain: [sig], chord: sig }]).embed.chain).toEqual([sig]);
    for (const bad of [1, 'x', null, [sig], { ...sig, task: 5 }, { ...sig, args: {} }, { ...sig, kwargs: [] }, { ...sig, options: 'o' }, { ...sig, subtask_type: 3 }]) {
      for (const key of ['callbacks', 'errbacks', 'chain']) {
        invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, [[], {}, { [key]: [sig, bad] }]), `embed.${key}[1]`);
      }
      if (bad !== null) invalid(() => decodeTaskMessage({ task: 't', id: ID }, {}, [[], {}, { chord: bad }]), 'embed.chord');
    }
  });

  it('null stands for an absent header', () => {
    const nulls = Object.fromEntries(Object.keys(ACCEPTS).filter((f) => f.startsWith('header') && !/ (task|id)$/.test(f)).map((f) => [f.split(' ')[1], null]));
    expect(decodeV2(nulls, { reply_to: null, correlation_id: null })).toMatchObject({ retries: 0, timeLimit: [null, null], ignoreResult: false, correlationId: ID });
  });
});

describe('random messages are decoded or refused with InvalidTaskError only (fast-check)', () => {
  const KEYS = [...Object.keys(ACCEPTS).map((f) => f.split(' ')[1]!), 'args', 'kwargs', 'callbacks', 'errbacks', 'chain', 'chord', 'utc', 'taskset', 'lang', '__proto__'];
  const { value, record } = fc.letrec<{ value: unknown; record: Record<string, unknown> }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(...Object.values(VALUES), null, undefined, ID, '2024-01-02T03:04:05Z'),
      fc.array(tie('value'), { maxLength: 4 }),
      tie('record'),
    ),
    record: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 6 }),
  }));
  const headers = fc.oneof(
    record,
    fc.record({ task: fc.constantFrom('t', 5, null), id: fc.constantFrom(ID, '', 1) }).chain((base) => record.map((r) => ({ ...base, ...r }))),
  );
  const body = fc.oneof(fc.tuple(value, value, value), record.map((r) => ({ task: 't', id: ID, ...r })), value);

  it('9,000 messages: each decodes or is an InvalidTaskError (a failure prints its replay seed)', () => {
    let decoded = 0;
    fc.assert(fc.property(headers, record, body, (h, properties, b) => {
      try {
        decodeTaskMessage(h, properties, b);
        decoded++;
      } catch (err) {
        if (!(err instanceof InvalidTaskError)) throw err;
      }
    }), { numRuns: 9000 });
    expect(decoded).toBeGreaterThan(0);
  });
});
