/**
 * AzureBlockBlobBackend against azurite's blob service (started here on a free port, stopped after
 * the file): the shared conformance suite, then the blob names and bytes Celery uses.
 *
 * No Python Azure SDK is installable here (Debian has none), so the Celery side is taken from its
 * source, Debian's python3-celery 5.2.6 (/usr/lib/python3/dist-packages/celery/backends/):
 * - azureblockblob.py 43-51: container `azureblockblob_container_name` (default 'celery'),
 *   `base_path` (''), connection/read timeouts 20/120 s;
 * - azureblockblob.py 69-81: `create_container` on first use, ResourceExistsError ignored;
 * - azureblockblob.py 94-100 (get): blob `f'{self.base_path}{key}'`, `download_blob().readall().decode()`,
 *   ResourceNotFoundError → None;
 * - azureblockblob.py 115-120 (set): the same blob name, `upload_blob(value, overwrite=True)` — a
 *   single Put Blob of the encoded meta, no content settings, no metadata;
 * - azureblockblob.py 141-146 (delete): `delete_blob()` on that name;
 * - base.py 812-815, 853-865, 944-970: keys `celery-task-meta-<id>` / `celery-taskset-meta-<id>`,
 *   value `self.encode(meta)` of `{status, result, traceback, children, date_done[, group_id,
 *   parent_id], task_id}`, a group as `{'result': as_tuple()}`; Celery ≥ 5.3 puts
 *   `result_backend_transport_options.global_keyprefix` + `_` before both prefixes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { BackendGetMetaError, BackendNotInstalledError, BackendRegistry } from '@cq/backend';
import { describeBackend } from '@cq/backend/testing';
import AzureDefault, { AzureBlockBlobBackend, AzureBlockBlobUrlError, azureBlockBlobBackend } from '../src/index.js';
import { DEV_KEY, startAzurite, type Azurite } from './azurite.js';

const CONTAINER = 'cq-conformance';
let azurite: Azurite;
let service: BlobServiceClient;

beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
});

// Last-Modified has one-second resolution: expires of 2 s keeps the cleanup test clear of it.
describeBackend('azureblockblob', (o) => new AzureBlockBlobBackend({ url: azurite.url, containerName: CONTAINER, ...o }), { shortExpires: 2 });

async function blobBytes(container: ContainerClient, name: string): Promise<Buffer> {
  return container.getBlobClient(name).downloadToBuffer();
}

describe('azure block blob backend, as Celery names and fills blobs', () => {
  it('writes celery-task-meta-<id> in the default container "celery", created when missing, as the meta JSON in Celery key order', async () => {
    const container = service.getContainerClient('celery');
    expect(await container.exists()).toBe(false);
    const backend = AzureBlockBlobBackend.fromUrl(azurite.url);
    const taskId = randomUUID();
    await backend.markAsDone(taskId, { n: [1, { x: 'ü' }] }, { group: 'g-1', parentId: 'p-1' });
    expect(await container.exists()).toBe(true);
    const names: string[] = [];
    for await (const item of container.listBlobsFlat()) names.push(item.name);
    expect(names).toEqual([`celery-task-meta-${taskId}`]);
    const blob = container.getBlobClient(`celery-task-meta-${taskId}`);
    const properties = await blob.getProperties();
    expect(properties.blobType).toBe('BlockBlob');
    expect(properties.metadata).toEqual({});
    const bytes = await blobBytes(container, `celery-task-meta-${taskId}`);
    const meta = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id', 'task_id']);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: { n: [1, { x: 'ü' }] }, traceback: null, children: [], group_id: 'g-1', parent_id: 'p-1', task_id: taskId });
    expect(meta.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(bytes.equals(Buffer.from(JSON.stringify(meta), 'utf8'))).toBe(true); // UTF-8 JSON, nothing around it
    await backend.close();
  });

  it('reads a blob as Python Celery writes it (kombu json, spaces after separators)', async () => {
    const backend = new AzureBlockBlobBackend({ url: azurite.url, containerName: CONTAINER });
    await backend.getState(randomUUID()); // creates the container
    const taskId = randomUUID();
    const python = `{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["b\\u00e4d"], "exc_module": "builtins"}, ` +
      `"traceback": "Traceback ...", "children": [], "date_done": "2026-11-22T05:55:20.378644+00:00", "task_id": "${taskId}"}`;
    await service.getContainerClient(CONTAINER).getBlockBlobClient(`celery-task-meta-${taskId}`).upload(python, Buffer.byteLength(python));
    expect(await backend.getTaskMeta(taskId)).toMatchObject({ status: 'FAILURE', traceback: 'Traceback ...', task_id: taskId });
    expect(await backend.getResult(taskId)).toMatchObject({ name: 'ValueError', message: 'bäd' });
    const groupId = randomUUID();
    const group = `{"result": [["${groupId}", null], [[["${taskId}", null], null]]]}`;
    await service.getContainerClient(CONTAINER).getBlockBlobClient(`celery-taskset-meta-${groupId}`).upload(group, group.length);
    expect(await backend.restoreGroup(groupId)).toMatchObject({ group_id: groupId, result: [[groupId, null], [[[taskId, null], null]]] });
    await backend.close();
  });

  it('reads azureblockblob_container_name and azureblockblob_base_path from the app settings', async () => {
    const settings = { azureblockblob_container_name: 'cq-settings', azureblockblob_base_path: 'results/', azureblockblob_read_timeout: 30 };
    const backend = AzureBlockBlobBackend.fromUrl(azurite.url, { settings });
    expect([backend.containerName, backend.basePath, backend.connectionTimeout, backend.readTimeout]).toEqual(['cq-settings', 'results/', 20, 30]);
    const [taskId, groupId] = [randomUUID(), randomUUID()];
    await backend.markAsStarted(taskId, { pid: 1, hostname: 'w' });
    await backend.saveGroup(groupId, [[groupId, null], []]);
    const container = service.getContainerClient('cq-settings');
    expect(JSON.parse((await blobBytes(container, `results/celery-task-meta-${taskId}`)).toString())).toMatchObject({ status: 'STARTED', date_done: null });
    expect((await blobBytes(container, `results/celery-taskset-meta-${groupId}`)).toString()).toBe(`{"result":[["${groupId}",null],[]]}`);
    await backend.forget(taskId);
    expect(await container.getBlobClient(`results/celery-task-meta-${taskId}`).exists()).toBe(false);
    await backend.close();
  });

  it('puts result_backend_transport_options.global_keyprefix before the keys, as Celery 5.3+', async () => {
    const backend = AzureBlockBlobBackend.fromUrl(azurite.url, {
      containerName: CONTAINER, settings: { result_backend_transport_options: { global_keyprefix: 'myapp' } },
    });
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 'x');
    expect(await service.getContainerClient(CONTAINER).getBlobClient(`myapp_celery-task-meta-${taskId}`).exists()).toBe(true);
    await backend.close();
  });

  it('cleanup deletes only result blobs older than expires, under its base path', async () => {
    const container = service.getContainerClient('cq-cleanup');
    const backend = new AzureBlockBlobBackend({ url: azurite.url, containerName: 'cq-cleanup', basePath: 'a/', expires: 2 });
    const old = randomUUID();
    await backend.markAsDone(old, 'old');
    await backend.saveGroup(old, [[old, null], []]);
    await container.getBlockBlobClient('a/not-a-result').upload('x', 1);
    await container.getBlockBlobClient(`b/celery-task-meta-${old}`).upload('{}', 2); // another base path
    await new Promise((resolve) => setTimeout(resolve, 2400));
    await backend.cleanup();
    const names: string[] = [];
    for await (const item of container.listBlobsFlat()) names.push(item.name);
    expect(names.sort()).toEqual(['a/not-a-result', `b/celery-task-meta-${old}`]);
    expect(backend.supportsAutoexpire).toBe(false);
    await backend.close();
  });

  it('keeps the account key out of its url and errors', async () => {
    const backend = AzureBlockBlobBackend.fromUrl(azurite.url);
    expect(backend.url).toContain('AccountKey=**;');
    expect(backend.url).not.toContain(DEV_KEY);
    await backend.close();
    const errors = await Promise.all([
      Promise.resolve().then(() => AzureBlockBlobBackend.fromUrl('azureblockblob://')),
      Promise.resolve().then(() => AzureBlockBlobBackend.fromUrl(`s3://AccountKey=${DEV_KEY}`)),
      Promise.resolve().then(() => AzureBlockBlobBackend.fromUrl(`azureblockblob://DefaultEndpointsProtocol=ftp;AccountName=a;AccountKey=${DEV_KEY}`)),
    ].map((p) => p.catch((err: unknown) => err)));
    for (const err of errors) {
      expect(err).toBeInstanceOf(AzureBlockBlobUrlError);
      expect((err as AzureBlockBlobUrlError).code).toBe('CQ_BACKEND_AZUREBLOCKBLOB_URL');
      expect(String((err as Error).message)).not.toContain(DEV_KEY);
    }
    expect((errors[2] as Error).message).toMatch(/DefaultEndpointsProtocol/);
  });

  it('fails a read of an unreachable account with BackendGetMetaError, the key not in it', async () => {
    const url = `azureblockblob://DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;`;
    const backend = AzureBlockBlobBackend.fromUrl(url, { storage: { retryOptions: { maxTries: 1 } } });
    const err = await backend.getTaskMeta(randomUUID()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendGetMetaError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).not.toContain(DEV_KEY);
    await backend.close();
  });

  it('is created through the registry its plugin fills; without it the error names the package', async () => {
    expect(AzureDefault).toBe(AzureBlockBlobBackend);
    const registry = new BackendRegistry();
    const missing = await registry.create(azurite.url).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BackendNotInstalledError);
    expect((missing as Error).message).toContain('pnpm add @cq/backend-azureblockblob');
    expect((missing as Error).message).toContain('azureBlockBlobBackend()');
    expect((missing as Error).message).not.toContain(DEV_KEY);
    azureBlockBlobBackend().install({ backends: registry });
    const backend = await registry.create(azurite.url, { expires: 60, settings: { azureblockblob_container_name: CONTAINER } });
    expect(backend).toBeInstanceOf(AzureBlockBlobBackend);
    expect((backend as AzureBlockBlobBackend).containerName).toBe(CONTAINER);
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 3);
    expect(await backend.getResult(taskId)).toBe(3);
    await backend.close();
  });
});
