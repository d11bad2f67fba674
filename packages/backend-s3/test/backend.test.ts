/**
 * The S3 result backend against fauxqs's S3 (a private emulator on a free port, `startSqsEmulator`):
 * the shared conformance suite, the interop suite with Python Celery's `S3Backend` (boto3), the
 * object keys both sides write, and what is the S3 backend's own (settings, plugin, registry).
 * Every run uses its own bucket.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendGetMetaError, BackendNotInstalledError, BackendRegistry, type BackendOptions } from '@cq/backend';
import { describeBackend, describeKeyValueInterop } from '@cq/backend/testing';
import { databaseInteropPython, startSqsEmulator, type SqsEmulator } from '@cq/tooling/testing';
import S3BackendDefault, { S3Backend, S3ConfigurationError, s3Backend, s3Settings } from '../src/index.js';

const bucket = `cq-results-${randomUUID().slice(0, 8)}`;
const basePath = 'cq/results/';
let emulator: SqsEmulator;
let s3: S3Client;

/** Celery's settings for the emulator, as Python and cq both take them. */
const settings = () => ({
  s3_bucket: bucket, s3_base_path: basePath, s3_endpoint_url: emulator.endpoint,
  s3_access_key_id: 'cq', s3_secret_access_key: 'cq-secret', s3_region: 'us-east-1',
});
const make = (options: BackendOptions = {}) => new S3Backend({ ...options, settings: settings() });
const keys = async (prefix = ''): Promise<string[]> =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();

beforeAll(async () => {
  emulator = await startSqsEmulator();
  s3 = new S3Client({ endpoint: emulator.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'cq', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  s3?.destroy();
  await emulator?.stop();
});

describeBackend('s3', make, { shortExpires: 2 });

describeKeyValueInterop('s3', {
  factory: make,
  python: () => ({ url: 's3://', conf: settings() }),
  runPython: databaseInteropPython(['celery', 'boto3']),
});

describe('s3 backend', () => {
  const python = databaseInteropPython(['celery', 'boto3']);

  it('keeps results at <s3_base_path>celery-task-meta-<id>, the key and bytes Python writes', async () => {
    const backend = make();
    const [ours, theirs] = [randomUUID(), randomUUID()];
    await backend.markAsDone(ours, { n: 1 });
    await python(`
import json, sys
from celery import Celery
app = Celery(backend='s3://')
app.conf.update(**json.loads(sys.argv[1]))
app.backend.store_result(sys.argv[2], {'n': 1}, 'SUCCESS')
`, [JSON.stringify(settings()), theirs]);
    expect(await keys(`${basePath}celery-task-meta-`)).toEqual(expect.arrayContaining([
      `${basePath}celery-task-meta-${ours}`, `${basePath}celery-task-meta-${theirs}`,
    ]));
    const body = async (key: string) => JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString());
    const [a, b] = [await body(`${basePath}celery-task-meta-${ours}`), await body(`${basePath}celery-task-meta-${theirs}`)];
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    // Python without a request writes `children: null`; cq's base writes the worker's `[]` (both read as no children).
    expect({ ...a, date_done: null, task_id: null, children: null }).toEqual({ ...b, date_done: null, task_id: null });
    expect(a.children).toEqual([]);
    await backend.close();
  });

  it('without s3_base_path the key is the Celery key itself', async () => {
    const backend = new S3Backend({ settings: { ...settings(), s3_base_path: undefined } });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 'bare');
    expect(await keys(`celery-task-meta-${taskId}`)).toEqual([`celery-task-meta-${taskId}`]);
    await backend.close();
  });

  it('cleanup deletes only old result objects under the base path', async () => {
    const other = `${basePath}not-a-result-${randomUUID()}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: other, Body: 'keep' }));
    const backend = make({ expires: 1 });
    const group = randomUUID();
    await backend.saveGroup(group, [[group, null], []]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await backend.cleanup();
    expect(await backend.restoreGroup(group)).toBeNull();
    expect(await keys(other)).toEqual([other]);
    expect(backend.supportsAutoexpire).toBe(false);
    await backend.close();
  });

  it('reads settings (options over app settings) and refuses what Celery refuses', () => {
    expect(s3Settings({ settings: { s3_bucket: 'a', s3_region: 'eu-west-1' }, bucket: 'b' })).toEqual({
      s3_access_key_id: null, s3_secret_access_key: null, s3_bucket: 'b', s3_base_path: null, s3_endpoint_url: null, s3_region: 'eu-west-1',
    });
    expect(() => new S3Backend({})).toThrow(S3ConfigurationError);
    expect(() => new S3Backend({})).toThrow(/s3_bucket/);
    expect(() => new S3Backend({ bucket: 'b', accessKeyId: 'only-id' })).toThrow(/both s3_access_key_id and s3_secret_access_key/);
  });

  it('fails a read of a missing bucket instead of reading PENDING', async () => {
    const backend = new S3Backend({ settings: { ...settings(), s3_bucket: `missing-${randomUUID().slice(0, 8)}` } });
    await expect(backend.getTaskMeta(randomUUID())).rejects.toBeInstanceOf(BackendGetMetaError);
    await backend.close();
  });

  it('is created from s3:// through its plugin, and names the package when the plugin is missing', async () => {
    expect(S3BackendDefault).toBe(S3Backend);
    const err = await new BackendRegistry().create('s3://').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendNotInstalledError);
    expect((err as Error).message).toContain('pnpm add @cq/backend-s3');
    expect((err as Error).message).toContain('s3Backend()');
    const registry = new BackendRegistry();
    s3Backend().install({ backends: registry });
    const backend = await registry.create('s3://', { settings: settings() });
    expect(backend).toBeInstanceOf(S3Backend);
    expect((backend as S3Backend).objectKey('celery-task-meta-x')).toBe(`${basePath}celery-task-meta-x`);
    await backend.markAsDone('registry-task', 1);
    expect(await backend.getResult('registry-task')).toBe(1);
    await backend.close();
  });
});
