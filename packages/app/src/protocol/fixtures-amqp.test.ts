/**
 * Golden messages captured from Python Celery over RabbitMQ (spec/fixtures/amqp, made by
 * spec/capture/capture_amqp.py): each task message (body bytes, properties and the headers as
 * py-amqp decoded them) is decoded with decodeTaskMessage, checked against what the Python call
 * sent, and re-encoded with buildTaskMessage; protocol 1 messages are re-encoded as protocol 2 and
 * must decode to the same request. The rpc:// result messages are read and rebuilt with the
 * backend's meta and exception codec. The header tables themselves are checked in
 * packages/transport-amqp (golden-tables.test.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decompress, loads, parseIsoDate } from '@cq/kombu';
import { MemoryBackend, errorFromExceptionInfo, prepareException } from '@cq/backend';
import { decodeTaskMessage } from './decode.js';
import { argsRepr, kwargsRepr } from './saferepr.js';
import { buildTaskMessage } from './v2.js';
import type { TaskRequestFields } from './types.js';

const AMQP = new URL('../../../../spec/fixtures/amqp/', import.meta.url);

interface Fixture {
  body: string;
  properties: Record<string, unknown> & { content_type: string; content_encoding: string; priority?: number; delivery_mode: number };
  headers: Record<string, unknown>;
  headers_table: string | null;
  delivery_info: { exchange: string; routing_key: string; redelivered: boolean };
}

interface Meta {
  case: string;
  kind: 'task' | 'result';
  sent: Record<string, unknown> & { name?: string; id?: string; args?: unknown[]; kwargs?: Record<string, unknown> };
  queue: string;
  published_between: [string, string];
}

/** JSON with integers beyond 2^53 read as bigint (kombu's json decoder). */
const readJson = (url: URL): unknown => loads(readFileSync(url), 'application/json', 'utf-8');

function open(name: string): { fx: Fixture; meta: Meta; payload: unknown } {
  const fx = readJson(new URL(`${name}.json`, AMQP)) as Fixture;
  const meta = readJson(new URL(`${name}.meta.json`, AMQP)) as Meta;
  let body: Buffer = Buffer.from(fx.body, 'base64');
  if (typeof fx.headers.compression === 'string') body = decompress(body, fx.headers.compression);
  return { fx, meta, payload: loads(body, fx.properties.content_type, fx.properties.content_encoding) };
}

function decode(name: string): { fx: Fixture; meta: Meta; payload: unknown; req: TaskRequestFields } {
  const { fx, meta, payload } = open(name);
  const req = decodeTaskMessage(fx.headers, { ...fx.properties, delivery_info: fx.delivery_info }, payload);
  return { fx, meta, payload, req };
}

const ALL = readdirSync(AMQP).filter((f) => f.endsWith('.json') && !f.endsWith('.meta.json')).map((f) => f.slice(0, -5)).sort();
const kind = (name: string): Meta['kind'] => (readJson(new URL(`${name}.meta.json`, AMQP)) as Meta).kind;
const TASKS = ALL.filter((n) => kind(n) === 'task');
const V2 = TASKS.filter((n) => !n.startsWith('v1_'));
const V1 = TASKS.filter((n) => n.startsWith('v1_'));
const RESULTS = ALL.filter((n) => kind(n) === 'result');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const V2_HEADERS = new Set([
  'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries', 'timelimit', 'root_id',
  'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result',
]);
/** Headers of Celery 5.3+ that the 5.2 capture does not have. */
const NEW_HEADERS = ['replaced_task_nesting', 'stamped_headers', 'stamps'];
const ms = (iso: string): number => parseIsoDate(iso).getTime();

it('has the captured cases', () => {
  expect(V2).toEqual(expect.arrayContaining([
    'chain3', 'compression_bzip2', 'compression_zlib', 'countdown', 'custom_queue', 'custom_routing_key', 'eta_datetime',
    'expires_datetime', 'expires_seconds', 'group_member_0', 'group_member_1', 'header_types', 'ignore_result',
    'kwargs_nested', 'link_callbacks', 'long_args_truncated', 'plain_args', 'priority', 'reply_to_custom',
    'send_task_list_args', 'serializer_msgpack', 'serializer_yaml', 'shadow_headers', 'time_limits',
  ]));
  expect(V1).toEqual(['v1_options', 'v1_plain_args']);
  expect(RESULTS).toEqual(['rpc_result_failure', 'rpc_result_success']);
});

describe.each(V2)('amqp fixture %s', (name) => {
  it('decodes to what the Python call sent', () => {
    const { fx, meta, req } = decode(name);
    const sent = meta.sent;
    expect(req.protocol).toBe(2);
    expect(req.name).toBe(sent.name);
    expect(req.id).toMatch(UUID);
    if (sent.id) expect(req.id).toBe(sent.id);
    if (sent.args) expect(req.args).toEqual(sent.args);
    if (sent.kwargs) expect(req.kwargs).toEqual(sent.kwargs);
    expect(req.correlationId).toBe(req.id);
    expect(req.replyTo).toMatch(sent.reply_to ? new RegExp(`^${String(sent.reply_to)}$`) : UUID);
    expect(req.origin).toMatch(/^gen\d+@/);
    expect(req.rootId).toBe(req.id);
    expect(req.parentId).toBeNull();
    expect(fx.headers.lang).toBe('py');
    for (const key of V2_HEADERS) expect(fx.headers).toHaveProperty(key);
    expect(fx.properties.delivery_mode).toBe(2);
    const routed = sent.exchange ? { exchange: sent.exchange, routing_key: sent.routing_key } : { exchange: '', routing_key: meta.queue };
    expect({ exchange: fx.delivery_info.exchange, routing_key: fx.delivery_info.routing_key }).toEqual(routed);
  });

  it('re-encodes to the same headers, body and properties', () => {
    const { fx, meta, payload, req } = decode(name);
    const extra = Object.fromEntries(Object.entries(fx.headers).filter(([k]) => !V2_HEADERS.has(k) && k !== 'compression'));
    const rebuilt = buildTaskMessage({
      name: req.name, id: req.id, args: req.args, kwargs: req.kwargs,
      eta: (fx.headers.eta as string | null) ?? undefined, expires: (fx.headers.expires as string | null) ?? undefined,
      retries: req.retries, timeLimit: req.timeLimit[0], softTimeLimit: req.timeLimit[1], group: req.group,
      groupIndex: req.groupIndex, parentId: req.parentId, rootId: req.rootId, shadow: req.shadow,
      callbacks: req.embed.callbacks, errbacks: req.embed.errbacks, chain: req.embed.chain, chord: req.embed.chord,
      replyTo: req.replyTo ?? '', priority: fx.properties.priority, ignoreResult: req.ignoreResult,
      origin: req.origin ?? undefined, headers: extra,
      // As in the Redis fixtures: list args keep their list repr, YAML sorted the kwargs keys.
      argsrepr: name === 'send_task_list_args' ? req.argsrepr : undefined,
      kwargsrepr: name === 'serializer_yaml' ? req.kwargsrepr : undefined,
      now: new Date(ms(meta.published_between[0])),
    });
    const expected = { ...fx.headers };
    delete expected.compression;
    const got: Record<string, unknown> = { ...rebuilt.headers };
    for (const key of NEW_HEADERS) delete got[key];
    expect(got).toEqual(expected);
    expect(Object.keys(got)).toEqual(Object.keys(expected));
    expect(rebuilt.body).toEqual(payload);
    const { expiration, ...props } = rebuilt.properties;
    expect(props).toEqual({
      correlation_id: fx.properties.correlation_id, reply_to: fx.properties.reply_to,
      // custom_queue: Celery 5.2 sends no priority property when apply_async gets queue= (spec/README).
      delivery_mode: fx.properties.delivery_mode, priority: fx.properties.priority ?? 0,
    });
    expect(expiration === undefined).toBe(fx.properties.expiration === undefined);
  });

  it("computes Python's argsrepr and kwargsrepr", () => {
    const { fx, req } = decode(name);
    if (name !== 'send_task_list_args') expect(argsRepr(req.args)).toBe(fx.headers.argsrepr);
    if (name !== 'serializer_yaml') expect(kwargsRepr(req.kwargs)).toBe(fx.headers.kwargsrepr);
  });
});

describe('amqp fixture specifics', () => {
  it('expires: expiration property in ms and the header date', () => {
    const { fx, meta, req } = decode('expires_seconds');
    expect(fx.properties.expiration).toBe('60000');
    expect(req.expires!.getTime()).toBeGreaterThanOrEqual(ms(meta.published_between[0]) + 60_000 - 1);
    expect(req.expires!.getTime()).toBeLessThanOrEqual(ms(meta.published_between[1]) + 60_000 + 1);
  });

  it('priority is an AMQP property; 0 when none was given', () => {
    expect(decode('priority').fx.properties.priority).toBe(5);
    expect(decode('plain_args').fx.properties.priority).toBe(0);
    expect(decode('custom_queue').fx.properties).not.toHaveProperty('priority');
  });

  it('custom_queue and custom_routing_key: the named exchange and routing key reach the bound queue', () => {
    for (const name of ['custom_queue', 'custom_routing_key']) {
      const { fx, meta } = decode(name);
      expect(meta.queue).toBe('cqt.golden.jobs');
      expect(fx.delivery_info).toMatchObject({ exchange: 'cqt.golden.jobs', routing_key: 'cqt.golden.jobs.rk' });
    }
  });

  it('compression header carries the mime type; serializers keep their content types', () => {
    expect(decode('compression_zlib').fx.headers.compression).toBe('application/x-gzip');
    expect(decode('compression_bzip2').fx.headers.compression).toBe('application/x-bz2');
    const mp = decode('serializer_msgpack');
    expect([mp.fx.properties.content_type, mp.fx.properties.content_encoding]).toEqual(['application/x-msgpack', 'binary']);
    expect(mp.req.kwargs.big).toBe(2n ** 60n + 7n);
    expect(decode('serializer_yaml').fx.properties.content_type).toBe('application/x-yaml');
  });

  it('header_types: py-amqp header values of every type decode as Python sent them', () => {
    const { req } = decode('header_types');
    expect(req.headers).toMatchObject({
      'x-int': 7, 'x-neg': -300, 'x-big': 2 ** 40 + 7, 'x-huge': 2n ** 60n + 7n, 'x-neg-big': -(2 ** 40) - 3,
      'x-float': 1.5, 'x-none': null, 'x-true': true, 'x-false': false, 'x-list': [1, 'two', null, 2.5, [3, [4]]],
      'x-nested': { a: { b: [1, true, null] }, n: -1 },
    });
  });

  it('ignore_result and reply_to_custom', () => {
    expect(decode('ignore_result').req.ignoreResult).toBe(true);
    expect(decode('reply_to_custom').fx.properties.reply_to).toBe('cqt.golden.replies');
  });

  it('chain3: embed.chain is reversed', () => {
    expect(decode('chain3').req.embed.chain!.map((s) => [s.task, s.args])).toEqual([['tasks.add', [4]], ['tasks.add', [3]]]);
  });
});

describe.each(V1)('amqp fixture %s (protocol 1)', (name) => {
  it('decodes the v1 body (no task headers) to what the Python call sent', () => {
    const { fx, meta, payload, req } = decode(name);
    expect(fx.headers).toEqual({});
    expect(payload).toMatchObject({ task: meta.sent.name, id: meta.sent.id, utc: true });
    expect(req.protocol).toBe(1);
    expect([req.name, req.id, req.args, req.kwargs]).toEqual([meta.sent.name, meta.sent.id, meta.sent.args, meta.sent.kwargs]);
    if (meta.sent.eta) expect(req.eta).toEqual(parseIsoDate(String(meta.sent.eta)));
    if (meta.sent.callbacks) expect(req.embed.callbacks?.map((s) => [s.task, s.args])).toEqual([['tasks.add', [10]]]);
  });

  it('re-encodes as protocol 2 that decodes to the same request', () => {
    const { req } = decode(name);
    const rebuilt = buildTaskMessage({
      name: req.name, id: req.id, args: req.args, kwargs: req.kwargs,
      ...(req.eta ? { eta: req.eta } : {}), ...(req.expires ? { expires: req.expires } : {}),
      callbacks: req.embed.callbacks, errbacks: req.embed.errbacks, chain: req.embed.chain, chord: req.embed.chord,
      replyTo: req.replyTo ?? '', timeLimit: req.timeLimit[0], softTimeLimit: req.timeLimit[1],
    });
    const again = decodeTaskMessage(rebuilt.headers, { ...rebuilt.properties }, rebuilt.body);
    expect(again.protocol).toBe(2);
    for (const key of ['name', 'id', 'args', 'kwargs', 'eta', 'expires', 'retries', 'timeLimit', 'group', 'embed', 'replyTo'] as const) {
      expect([key, again[key]]).toEqual([key, req[key]]);
    }
  });
});

describe('rpc:// result messages', () => {
  const reply = (name: string) => {
    const { fx, meta, payload } = open(name);
    expect(fx.properties).toMatchObject({ content_type: 'application/json', delivery_mode: 1, correlation_id: meta.sent.id });
    expect(fx.delivery_info).toMatchObject({ exchange: '', routing_key: 'cqt.golden.replies' });
    return { meta, body: payload as Record<string, unknown> };
  };

  it('rpc_result_success: read and rebuilt with the backend meta', async () => {
    const { meta, body } = reply('rpc_result_success');
    expect(Object.keys(body)).toEqual(['task_id', 'status', 'result', 'traceback', 'children']);
    expect(body).toEqual({ task_id: meta.sent.id, status: 'SUCCESS', result: meta.sent.result, traceback: null, children: [] });
    const backend = new MemoryBackend();
    await backend.markAsDone(String(meta.sent.id), body.result);
    const { status, result, traceback, children } = await backend.getTaskMeta(String(meta.sent.id));
    expect({ task_id: meta.sent.id, status, result, traceback, children }).toEqual(body);
    await backend.close();
  });

  it('rpc_result_failure: the exception dict round-trips through the exception codec', () => {
    const { meta, body } = reply('rpc_result_failure');
    expect(body).toMatchObject({ task_id: meta.sent.id, status: 'FAILURE', children: [] });
    expect(body.result).toEqual({ exc_type: 'ValueError', exc_message: ['boom \u2713'], exc_module: 'builtins' });
    const err = errorFromExceptionInfo(body.result, body.traceback as string);
    expect([err.name, err.message]).toEqual(['ValueError', 'boom \u2713']);
    expect(prepareException(err)).toEqual(body.result);
  });
});
