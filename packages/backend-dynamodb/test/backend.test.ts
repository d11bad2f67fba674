/**
 * The DynamoDB result backend against dynalite (a private in-memory DynamoDB on a free port): the
 * shared conformance suite, the interop suite with Python Celery's `DynamoDBBackend` (boto3), the
 * table and items both sides write, and what is DynamoDB's own (URLs, TTL, plugin, registry).
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendNotInstalledError, BackendRegistry, BackendStoreError, type BackendOptions } from '@cq/backend';
import { describeBackend, describeKeyValueInterop } from '@cq/backend/testing';
import { databaseInteropPython } from '@cq/tooling/testing';
import DynamoDBBackendDefault, {
  DynamoDBBackend, DynamoDBUrlError, dynamodbBackend, parseDynamoDBUrl, pythonBytesRepr,
} from '../src/index.js';
import { startDynalite, type Dynalite } from './dynalite.js';

const run = randomUUID().slice(0, 8);
const table = `cq_results_${run}`;
let dynalite: Dynalite;
let raw: DynamoDBClient;
/** Celery's local form, as Python and cq both take it. */
const url = (name = table, query = '') => `dynamodb://cq:cq-secret@localhost:${dynalite.port}/${name}${query}`;
const python = databaseInteropPython(['celery', 'boto3']);
/** Runs `body` with `app` on `backendUrl` (argv[1]) and argv[2..]; resolves with the last stdout line as JSON. */
async function py<T>(backendUrl: string, body: string, ...args: string[]): Promise<T> {
  const out = await python(`import json, sys\nfrom celery import Celery\napp = Celery(backend=sys.argv[1])\n${body}`, [backendUrl, ...args]);
  return JSON.parse(out.trim().split('\n').pop() ?? 'null') as T;
}
const item = async (name: string, id: string): Promise<Record<string, AttributeValue> | undefined> =>
  (await raw.send(new GetItemCommand({ TableName: name, Key: { id: { S: id } } }))).Item;

beforeAll(async () => {
  dynalite = await startDynalite();
  raw = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'cq', secretAccessKey: 'x' } });
});
afterAll(async () => {
  raw?.destroy();
  await dynalite?.stop();
});

// The suite's cleanup test asks for a short `expires`: on DynamoDB that is Celery's `ttl_seconds`.
describeBackend('dynamodb', (options: BackendOptions = {}) =>
  new DynamoDBBackend({ ...options, url: url(table, options.expires ? `?ttl_seconds=${options.expires}` : '') }), { shortExpires: 2 });

describeKeyValueInterop('dynamodb', {
  factory: (options) => new DynamoDBBackend({ ...options, url: url() }),
  python: () => ({ url: url() }),
  runPython: python,
});

describe('dynamodb backend', () => {
  it('writes the id, result, timestamp and ttl attributes Python writes, under the b\'…\' ids', async () => {
    const name = `cq_items_${run}`;
    const ttlUrl = url(name, '?ttl_seconds=3600');
    const [ours, theirs] = [randomUUID(), randomUUID()];
    const backend = new DynamoDBBackend({ url: ttlUrl });
    await backend.markAsDone(ours, { n: 1 });
    await backend.close();
    // dynalite has no UpdateTimeToLive, so Python's TTL set-up is skipped (the items are what matter).
    await py(ttlUrl, `
from celery.backends.dynamodb import DynamoDBBackend
DynamoDBBackend._set_table_ttl = lambda self: None
app.backend.store_result(sys.argv[2], {'n': 1}, 'SUCCESS')
print('true')`, theirs);
    const [a, b] = [await item(name, `b'celery-task-meta-${ours}'`), await item(name, `b'celery-task-meta-${theirs}'`)];
    const shape = (i: Record<string, AttributeValue> | undefined) => Object.fromEntries(Object.entries(i ?? {}).map(([k, v]) => [k, Object.keys(v)]));
    expect(shape(a)).toEqual({ id: ['S'], result: ['B'], timestamp: ['N'], ttl: ['N'] });
    expect(shape(a)).toEqual(shape(b));
    for (const it of [a!, b!]) {
      expect(Number(it.ttl!.N) - Number(it.timestamp!.N)).toBeGreaterThan(3598);
      expect(Number(it.ttl!.N) - Number(it.timestamp!.N)).toBeLessThanOrEqual(3600);
      expect(Math.abs(Number(it.timestamp!.N) - Date.now() / 1000)).toBeLessThan(60);
      expect(it.ttl!.N).toMatch(/^\d+$/);
    }
    expect(JSON.parse(Buffer.from(a!.result!.B!).toString())).toMatchObject({ status: 'SUCCESS', result: { n: 1 }, task_id: ours });
    const plain = new DynamoDBBackend({ url: url() });
    const noTtl = randomUUID();
    await plain.markAsDone(noTtl, 1);
    expect(Object.keys((await item(table, `b'celery-task-meta-${noTtl}'`))!).sort()).toEqual(['id', 'result', 'timestamp']);
    await plain.close();
  });

  it('creates the table Python creates: hash key id (S) and the URL\'s capacity', async () => {
    const [ours, theirs] = [`cq_schema_${run}`, `py_schema_${run}`];
    const backend = new DynamoDBBackend({ url: url(ours, '?read=3&write=4') });
    await backend.getTaskMeta(randomUUID());
    await backend.close();
    await py(url(theirs, '?read=3&write=4'), `app.backend.get_task_meta('x')\nprint('true')`);
    const describe = async (name: string) => {
      const t = (await raw.send(new DescribeTableCommand({ TableName: name }))).Table!;
      return { attributes: t.AttributeDefinitions, keys: t.KeySchema, read: t.ProvisionedThroughput?.ReadCapacityUnits, write: t.ProvisionedThroughput?.WriteCapacityUnits, status: t.TableStatus };
    };
    expect(await describe(ours)).toEqual({ attributes: [{ AttributeName: 'id', AttributeType: 'S' }], keys: [{ AttributeName: 'id', KeyType: 'HASH' }], read: 3, write: 4, status: 'ACTIVE' });
    expect(await describe(ours)).toEqual(await describe(theirs));
  });

  it('creates a missing table once when several backends start together', async () => {
    const name = `cq_race_${run}`;
    const backends = Array.from({ length: 4 }, () => new DynamoDBBackend({ url: url(name) }));
    try {
      await Promise.all(backends.map((b, i) => b.markAsDone(`race-${i}`, i)));
      expect((await backends[0]!.getManyTaskMeta(backends.map((_, i) => `race-${i}`))).map((m) => m.result)).toEqual([0, 1, 2, 3]);
    } finally {
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it('crosses task ids Python quotes in its key repr (quotes, backslash, unicode) both ways', async () => {
    const ids = [`it's-${run}`, `say "hi" it's-${run}`, `back\\slash\ttab-${run}`, `ünï-✓-${run}`];
    expect(await py(url(), 'print(json.dumps([str(i.encode()) for i in json.loads(sys.argv[2])]))', JSON.stringify(ids)))
      .toEqual(ids.map((i) => pythonBytesRepr(i)));
    const backend = new DynamoDBBackend({ url: url() });
    for (const id of ids) await backend.markAsDone(id, `cq:${id}`);
    expect(await py(url(), 'print(json.dumps([app.AsyncResult(i).result for i in json.loads(sys.argv[2])]))', JSON.stringify(ids)))
      .toEqual(ids.map((id) => `cq:${id}`));
    await py(url(), `for i in json.loads(sys.argv[2]): app.backend.store_result(i + '-py', 'py:' + i, 'SUCCESS')\nprint('true')`, JSON.stringify(ids));
    expect((await backend.getManyTaskMeta(ids.map((id) => `${id}-py`))).map((m) => m.result)).toEqual(ids.map((id) => `py:${id}`));
    await backend.close();
  });

  it('reads an item whose ttl has passed as PENDING (ttl_seconds=0) though it is still stored', async () => {
    const name = `cq_expired_${run}`;
    const backend = new DynamoDBBackend({ url: url(name, '?ttl_seconds=0') });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 'gone');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await item(name, `b'celery-task-meta-${taskId}'`)).toBeDefined();
    expect(await backend.getState(taskId)).toBe('PENDING');
    expect(backend.supportsAutoexpire).toBe(true);
    await backend.close();
  });

  it('warns, instead of failing, when the endpoint has no UpdateTimeToLive (dynalite)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const backend = new DynamoDBBackend({ url: url(`cq_ttl_${run}`, '?ttl_seconds=60') });
    try {
      await backend.markAsDone(randomUUID(), 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => (w as Error & { code?: string }).code)).toContain('CQ_BACKEND_DYNAMODB_TTL');
    } finally {
      process.off('warning', onWarning);
      await backend.close();
    }
  });

  it('reads every Celery URL form', () => {
    expect(parseDynamoDBUrl('dynamodb://AKID:s%2Fe%2Bcret@us-west-2/results?read=5&write=10&ttl_seconds=86400')).toEqual({
      region: 'us-west-2', endpoint: null, accessKeyId: 'AKID', secretAccessKey: 's/e+cret', tableName: 'results',
      readCapacityUnits: 5, writeCapacityUnits: 10, timeToLiveSeconds: 86400,
    });
    expect(parseDynamoDBUrl('dynamodb://@us-east-1')).toMatchObject({ region: 'us-east-1', accessKeyId: null, secretAccessKey: null, tableName: 'celery', readCapacityUnits: 1, timeToLiveSeconds: null });
    expect(parseDynamoDBUrl('dynamodb://@localhost:8000')).toMatchObject({ region: 'us-east-1', endpoint: 'http://localhost:8000' });
    expect(parseDynamoDBUrl('dynamodb://k:s@127.0.0.1:4567/t')).toMatchObject({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4567', tableName: 't' });
    expect(parseDynamoDBUrl('dynamodb://@[::1]:8000/t').endpoint).toBe('http://[::1]:8000');
    expect(parseDynamoDBUrl('dynamodb://')).toMatchObject({ region: null, endpoint: null, tableName: 'celery' });
    expect(parseDynamoDBUrl('dynamodb://@eu-west-1/t?ttl_seconds=-1&read=').timeToLiveSeconds).toBe(-1);
    expect(parseDynamoDBUrl('dynamodb://@eu-west-1/t?ttl_seconds=').timeToLiveSeconds).toBeNull();
    expect(() => parseDynamoDBUrl('dynamodb://onlykey@us-east-1')).toThrow(DynamoDBUrlError);
    expect(() => parseDynamoDBUrl('dynamodb://k:topsecret@us-east-1/t?read=x')).toThrow(/read must be an integer/);
    expect(() => parseDynamoDBUrl('dynamodb://k:topsecret@us-east-1/t?read=x')).not.toThrow(/topsecret/);
    expect(() => parseDynamoDBUrl('dynamodb://@localhost/t')).toThrow(/needs a port/);
    expect(() => parseDynamoDBUrl('redis://localhost')).toThrow(DynamoDBUrlError);
  });

  it('uses dynamodb_endpoint_url over the URL\'s endpoint, and keeps the secret out of its config', async () => {
    const backend = new DynamoDBBackend({ url: `dynamodb://cq:cq-secret@localhost:1/${table}`, settings: { dynamodb_endpoint_url: dynalite.endpoint } });
    expect(backend.config.endpoint).toBe(dynalite.endpoint);
    expect(JSON.stringify(backend.config)).not.toContain('cq-secret');
    await backend.markAsDone('endpoint-setting', 'ok');
    expect(await backend.getResult('endpoint-setting')).toBe('ok');
    await backend.close();
  });

  it('wraps an unreachable endpoint in BackendStoreError', async () => {
    const backend = new DynamoDBBackend({ url: 'dynamodb://cq:x@127.0.0.1:1/t', clientConfig: { maxAttempts: 1 } });
    const err = await backend.markAsDone('x', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendStoreError);
    expect((err as Error).cause).toBeInstanceOf(Error);
    await backend.close();
  });

  it('is created from dynamodb:// through its plugin, and names the package when the plugin is missing', async () => {
    expect(DynamoDBBackendDefault).toBe(DynamoDBBackend);
    const err = await new BackendRegistry().create('dynamodb://@us-east-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendNotInstalledError);
    expect((err as Error).message).toContain('pnpm add @cq/backend-dynamodb');
    expect((err as Error).message).toContain('dynamodbBackend()');
    const registry = new BackendRegistry();
    dynamodbBackend().install({ backends: registry });
    const backend = await registry.create(url());
    expect(backend).toBeInstanceOf(DynamoDBBackend);
    await backend.markAsDone('registry-task', 1);
    expect(await backend.getResult('registry-task')).toBe(1);
    await backend.close();
  });
});
