/**
 * Golden messages captured from Python Celery (spec/fixtures/redis, made by
 * spec/capture/capture_redis.py): each kombu Redis envelope is decoded, checked field by field
 * against what the Python call sent, and re-encoded with buildTaskMessage.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decompress, loads, parseIsoDate } from '@cq/kombu';
import { decodeTaskMessage } from './decode.js';
import { argsRepr, kwargsRepr, safeRepr } from './saferepr.js';
import { pythonRepr } from './repr.js';
import { buildTaskMessage } from './v2.js';
import type { TaskRequestFields } from './types.js';

const SPEC = new URL('../../../../spec/fixtures/', import.meta.url);
const REDIS = new URL('redis/', SPEC);

interface Envelope {
  body: string;
  'content-encoding': string;
  'content-type': string;
  headers: Record<string, unknown>;
  properties: Record<string, unknown> & { delivery_info: { exchange: string; routing_key: string } };
}

interface Meta {
  case: string;
  sent: Record<string, unknown> & { name: string; id?: string; args?: unknown[]; kwargs?: Record<string, unknown> };
  redis_key: string;
  message_index: number;
  published_between: [string, string];
  versions: Record<string, string>;
}

/** JSON with integers beyond 2^53 read as bigint (kombu's json decoder). */
const readJson = (url: URL): unknown => loads(readFileSync(url), 'application/json', 'utf-8');

function open(name: string): { env: Envelope; meta: Meta; payload: unknown; req: TaskRequestFields } {
  const env = readJson(new URL(`${name}.json`, REDIS)) as Envelope;
  const meta = readJson(new URL(`${name}.meta.json`, REDIS)) as Meta;
  expect(env.properties.body_encoding).toBe('base64');
  let body: Buffer = Buffer.from(env.body, 'base64');
  const compression = env.headers.compression;
  if (typeof compression === 'string') body = decompress(body, compression);
  const payload = loads(body, env['content-type'], env['content-encoding']);
  const req = decodeTaskMessage(env.headers, env.properties, payload);
  return { env, meta, payload, req };
}

const CASES = readdirSync(REDIS)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.meta.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PY_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;
const NO_EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };
/** Headers of Celery 5.3+ that the 5.2 capture does not have. */
const NEW_HEADERS = ['replaced_task_nesting', 'stamped_headers', 'stamps'];
const V2_HEADERS = new Set([
  'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries', 'timelimit', 'root_id',
  'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result', ...NEW_HEADERS,
]);
const ms = (iso: string): number => parseIsoDate(iso).getTime();

it('has the captured cases', () => {
  expect(CASES).toEqual(expect.arrayContaining([
    'chain3', 'chord_header_0', 'chord_header_1', 'compression_bzip2', 'compression_zlib', 'countdown',
    'custom_queue', 'eta_datetime', 'expires_datetime', 'expires_seconds', 'group_member_0', 'group_member_1',
    'ignore_result', 'kwargs_nested', 'link_callbacks', 'long_args_truncated', 'plain_args', 'priority',
    'send_task_list_args', 'serializer_msgpack', 'serializer_yaml', 'shadow_headers', 'time_limits',
  ]));
});

describe.each(CASES)('fixture %s', (name) => {
  it('decodes to what the Python call sent', () => {
    const { env, meta, req } = open(name);
    const sent = meta.sent;
    expect(req.protocol).toBe(2);
    expect(req.name).toBe(sent.name);
    expect(req.id).toMatch(UUID);
    if (sent.id) expect(req.id).toBe(sent.id);
    if (sent.args) expect(req.args).toEqual(sent.args);
    if (sent.kwargs) expect(req.kwargs).toEqual(sent.kwargs);
    expect(req.correlationId).toBe(req.id);
    expect(req.replyTo).toMatch(UUID);
    expect(req.origin).toMatch(/^gen\d+@/);
    expect(req.rootId).toBe(req.id);
    expect(req.parentId).toBeNull();
    expect(req.headers).toBe(env.headers);
    expect(env.headers.lang).toBe('py');
    for (const key of V2_HEADERS) if (!NEW_HEADERS.includes(key)) expect(env.headers).toHaveProperty(key);
    expect(env.properties.delivery_mode).toBe(2);
    const tail = meta.redis_key.split('\x06\x16')[0];
    if (!sent.queue) expect([tail, env.properties.delivery_info]).toEqual(['celery', { exchange: '', routing_key: 'celery' }]);
  });

  it('re-encodes to the same headers, body and properties', () => {
    const { env, meta, payload, req } = open(name);
    const extra = Object.fromEntries(
      Object.entries(env.headers).filter(([k]) => !V2_HEADERS.has(k) && k !== 'compression'),
    );
    const rebuilt = buildTaskMessage({
      name: req.name, id: req.id, args: req.args, kwargs: req.kwargs,
      eta: (env.headers.eta as string | null) ?? undefined, expires: (env.headers.expires as string | null) ?? undefined,
      retries: req.retries, timeLimit: req.timeLimit[0], softTimeLimit: req.timeLimit[1], group: req.group,
      groupIndex: req.groupIndex, parentId: req.parentId, rootId: req.rootId, shadow: req.shadow,
      callbacks: req.embed.callbacks, errbacks: req.embed.errbacks, chain: req.embed.chain, chord: req.embed.chord,
      replyTo: req.replyTo ?? '', priority: env.properties.priority as number, ignoreResult: req.ignoreResult,
      origin: req.origin ?? undefined, headers: extra,
      // Computed, except where the Python value cannot be derived from the decoded message: list
      // args (send_task(args=[...])) and YAML, whose safe_dump sorted the kwargs keys.
      argsrepr: name === 'send_task_list_args' ? req.argsrepr : undefined,
      kwargsrepr: name === 'serializer_yaml' ? req.kwargsrepr : undefined,
      now: new Date(ms(meta.published_between[0])),
    });
    const expected = { ...env.headers };
    delete expected.compression;
    const got: Record<string, unknown> = { ...rebuilt.headers };
    for (const key of NEW_HEADERS) delete got[key];
    expect(got).toEqual(expected);
    expect(Object.keys(got)).toEqual(Object.keys(expected));
    expect(rebuilt.body).toEqual(payload);
    const { expiration, ...props } = rebuilt.properties;
    expect(props).toEqual({
      correlation_id: env.properties.correlation_id, reply_to: env.properties.reply_to,
      delivery_mode: env.properties.delivery_mode, priority: env.properties.priority,
    });
    expect(expiration === undefined).toBe(env.properties.expiration === undefined);
  });

  it("computes Python's argsrepr and kwargsrepr", () => {
    const { env, req } = open(name);
    if (name === 'send_task_list_args') {
      expect(safeRepr(req.args, 1024)).toBe(env.headers.argsrepr);
      expect(argsRepr(req.args)).toBe('(2, 3)');
    } else {
      expect(argsRepr(req.args)).toBe(env.headers.argsrepr);
    }
    if (name === 'serializer_yaml') {
      // PyYAML's safe_dump sorts keys, so the worker sees another order than the client's repr.
      expect(Object.keys(req.kwargs)).toEqual(['list', 'none', 'ratio', 'uni', 'when']);
      const { uni, none, ratio, list, when } = req.kwargs;
      expect(kwargsRepr({ uni, none, ratio, list, when })).toBe(env.headers.kwargsrepr);
    } else {
      expect(kwargsRepr(req.kwargs)).toBe(env.headers.kwargsrepr);
    }
  });
});

describe('fixture specifics', () => {
  const window = (name: string): [number, number] => {
    const [a, b] = open(name).meta.published_between;
    return [ms(a), ms(b)];
  };

  it('countdown: eta = send time + 30 s, in Python isoformat', () => {
    const { env, req } = open('countdown');
    const [from, to] = window('countdown');
    expect(env.headers.eta).toMatch(PY_ISO);
    expect(req.eta!.getTime()).toBeGreaterThanOrEqual(from + 30_000 - 1);
    expect(req.eta!.getTime()).toBeLessThanOrEqual(to + 30_000 + 1);
    expect(req.expires).toBeNull();
  });

  it('eta_datetime: microsecond 0 drops the fraction', () => {
    const { env, req } = open('eta_datetime');
    expect(env.headers.eta).toBe('2030-01-02T03:04:05+00:00');
    expect(req.eta).toEqual(new Date('2030-01-02T03:04:05Z'));
  });

  it('expires: header date and expiration property in ms', () => {
    const secs = open('expires_seconds');
    const [from, to] = window('expires_seconds');
    expect(secs.env.properties.expiration).toBe('60000');
    expect(secs.req.expires!.getTime()).toBeGreaterThanOrEqual(from + 60_000 - 1);
    expect(secs.req.expires!.getTime()).toBeLessThanOrEqual(to + 60_000 + 1);
    const abs = open('expires_datetime');
    expect(abs.env.headers.expires).toBe('2030-01-02T04:05:06.789012+00:00');
    expect(abs.req.expires).toEqual(new Date('2030-01-02T04:05:06.789Z'));
    const [f2, t2] = window('expires_datetime');
    const expiration = Number(abs.env.properties.expiration);
    expect(expiration).toBeGreaterThanOrEqual(abs.req.expires!.getTime() - t2 - 2);
    expect(expiration).toBeLessThanOrEqual(abs.req.expires!.getTime() - f2 + 2);
  });

  it('time_limits: [hard, soft]', () => {
    expect(open('time_limits').req.timeLimit).toEqual([20, 10]);
  });

  it('priority: property and Redis bucket', () => {
    const { env, meta } = open('priority');
    expect(env.properties.priority).toBe(5);
    expect(meta.redis_key).toBe('celery\x06\x163');
  });

  it('custom_queue: named exchange and routing key', () => {
    const { env, meta } = open('custom_queue');
    expect(meta.redis_key).toBe('jobs');
    expect(env.properties.delivery_info).toEqual({ exchange: 'jobs', routing_key: 'jobs.rk' });
  });

  it('ignore_result', () => {
    expect(open('ignore_result').req.ignoreResult).toBe(true);
    expect(open('plain_args').req.ignoreResult).toBe(false);
  });

  it('compression: the header carries the mime type', () => {
    expect(open('compression_zlib').env.headers.compression).toBe('application/x-gzip');
    expect(open('compression_bzip2').env.headers.compression).toBe('application/x-bz2');
    expect(open('compression_zlib').env['content-type']).toBe('application/json');
  });

  it('serializers: msgpack keeps big ints exact, yaml decodes', () => {
    const mp = open('serializer_msgpack');
    expect(mp.env['content-type']).toBe('application/x-msgpack');
    expect(mp.env['content-encoding']).toBe('binary');
    expect(mp.req.kwargs.big).toBe(2n ** 60n + 7n);
    expect(open('serializer_yaml').env['content-type']).toBe('application/x-yaml');
  });

  it('kwargs_nested: unicode, big ints, None survive', () => {
    const { req } = open('kwargs_nested');
    expect(req.kwargs.big).toBe(2n ** 60n + 7n);
    expect(req.kwargs.neg_big).toBe(-(2n ** 62n) - 3n);
    expect(req.kwargs.uni).toBe('h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c \u{1F389}');
    expect(req.kwargs.none).toBeNull();
    expect(req.embed).toEqual(NO_EMBED);
  });

  it('chain3: embed.chain is reversed and ids are frozen', () => {
    const { req } = open('chain3');
    expect(req.args).toEqual([1, 2]);
    const chain = req.embed.chain!;
    expect(chain.map((s) => [s.task, s.args])).toEqual([['tasks.add', [4]], ['tasks.add', [3]]]);
    for (const s of chain) {
      expect(s.options.task_id).toMatch(UUID);
      expect(Object.keys(s).sort()).toEqual(['args', 'immutable', 'kwargs', 'options', 'subtask_type', 'task']);
    }
  });

  it('link_callbacks: callbacks and errbacks', () => {
    const { req } = open('link_callbacks');
    expect(req.embed.callbacks).toEqual([
      { task: 'tasks.add', args: [10], kwargs: {}, options: {}, subtask_type: null, immutable: false },
    ]);
    expect(req.embed.errbacks?.map((s) => s.task)).toEqual(['tasks.on_error']);
  });

  it('group members share a group id; chord members also carry index and body', () => {
    const g = [open('group_member_0').req, open('group_member_1').req];
    expect(g[0]!.group).toMatch(UUID);
    expect(g[1]!.group).toBe(g[0]!.group);
    expect(g.map((r) => [r.args, r.groupIndex])).toEqual([[[1, 1], null], [[2, 2], null]]);
    const c = [open('chord_header_0').req, open('chord_header_1').req];
    expect(c[1]!.group).toBe(c[0]!.group);
    expect(c.map((r) => r.groupIndex)).toEqual([0, 1]);
    expect(c.map((r) => r.embed.chord?.task)).toEqual(['tasks.tsum', 'tasks.tsum']);
  });

  it('shadow_headers: shadow and custom headers', () => {
    const { req } = open('shadow_headers');
    expect(req.shadow).toBe('add-shadow');
    expect(req.headers).toMatchObject({ 'x-custom': 'v', 'x-n': 7 });
  });

  it('long_args_truncated: saferepr budget of 1024', () => {
    const { env } = open('long_args_truncated');
    expect(String(env.headers.argsrepr).endsWith("word140...',)")).toBe(true);
    expect(String(env.headers.kwargsrepr).endsWith('..., ...]}')).toBe(true);
  });
});

describe('repr vectors (spec/fixtures/repr/saferepr.json)', () => {
  const data = readJson(new URL('repr/saferepr.json', SPEC)) as {
    vectors: { value: unknown; repr: string; argsrepr: string; argsrepr_pair: string; kwargsrepr: string }[];
  };

  it.each(data.vectors.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    expect(pythonRepr(v.value)).toBe(v.repr);
    expect(argsRepr([v.value])).toBe(v.argsrepr);
    expect(argsRepr([v.value, 1])).toBe(v.argsrepr_pair);
    expect(kwargsRepr({ v: v.value })).toBe(v.kwargsrepr);
  });
});
