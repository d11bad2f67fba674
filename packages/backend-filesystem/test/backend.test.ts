/**
 * FilesystemBackend in a temporary directory: the shared conformance suite, then what is specific to
 * files (Celery's names and contents, whole-file replacement under concurrent readers, cleanup by
 * modification time, ids that would leave the directory, an unusable directory, the registry).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendNotInstalledError, BackendRegistry } from '@cq/backend';
import { describeBackend } from '@cq/backend/testing';
import FilesystemBackendDefault, { FilesystemBackend, FilesystemPathError, UnsafeKeyError, filesystemBackend } from '../src/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'cq-fs-backend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** A new empty directory under the test's root. */
const freshDir = () => mkdtempSync(path.join(root, 'd-'));
const shared = freshDir();

describeBackend('filesystem', (o) => new FilesystemBackend({ url: `file://${shared}`, ...o }));

describe('file-system backend on disk', () => {
  it("writes Celery's file: named by the key, holding the JSON meta, and leaves no temporary file", async () => {
    const dir = freshDir();
    const backend = new FilesystemBackend({ url: `file://localhost${dir}/` });
    const [taskId, groupId] = [randomUUID(), randomUUID()];
    await backend.markAsStarted(taskId, { pid: 1 });
    await backend.markAsDone(taskId, { n: [1, 'ü'] }, { group: 'g-1' });
    await backend.saveGroup(groupId, [[groupId, null], []]);
    expect(readdirSync(dir).sort()).toEqual([`celery-task-meta-${taskId}`, `celery-taskset-meta-${groupId}`].sort());
    const meta = JSON.parse(readFileSync(path.join(dir, `celery-task-meta-${taskId}`), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'task_id']);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: { n: [1, 'ü'] }, task_id: taskId });
    expect(readFileSync(path.join(dir, `celery-taskset-meta-${groupId}`), 'utf8')).toBe(`{"result":[["${groupId}",null],[]]}`);
    await backend.close();
  });

  it('never shows a reader part of a file while it is rewritten, and keeps the file mode', async () => {
    const dir = freshDir();
    const writer = new FilesystemBackend({ url: `file://${dir}` });
    const reader = new FilesystemBackend({ url: `file://${dir}` });
    const taskId = randomUUID();
    const big = (n: number) => ({ pid: n, blob: String(n).repeat(1_000_000) });
    await writer.markAsStarted(taskId, big(1));
    chmodSync(path.join(dir, `celery-task-meta-${taskId}`), 0o640);
    let writing = true;
    const writes = (async () => {
      for (let n = 2; n < 40; n++) await writer.markAsStarted(taskId, big(n % 10));
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const meta = await reader.getTaskMeta(taskId); // throws on a torn file (JSON that does not parse)
      expect(meta.status).toBe('STARTED');
      reads += 1;
    }
    await writes;
    expect(reads).toBeGreaterThan(5);
    expect(statSync(path.join(dir, `celery-task-meta-${taskId}`)).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual([`celery-task-meta-${taskId}`]);
    await writer.close();
    await reader.close();
  });

  it('cleanup deletes result, group, chord and stale temporary files older than expires, by mtime, and nothing else', async () => {
    const dir = freshDir();
    const backend = new FilesystemBackend({ url: `file://${dir}`, expires: 3600 });
    const old = ['celery-task-meta-old', 'celery-taskset-meta-old', 'chord-unlock-old', 'celery-result-x.tmp'];
    const kept = ['celery-task-meta-fresh', 'celery-result-y.tmp', 'notes.txt', 'celery-result-z.txt'];
    for (const name of [...old, ...kept]) writeFileSync(path.join(dir, name), '{}');
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    for (const name of [...old, 'notes.txt', 'celery-result-z.txt']) utimesSync(path.join(dir, name), twoHoursAgo, twoHoursAgo);
    await backend.cleanup();
    expect(readdirSync(dir).sort()).toEqual([...kept].sort());
    const keepAll = new FilesystemBackend({ url: `file://${dir}`, expires: null });
    utimesSync(path.join(dir, 'celery-task-meta-fresh'), twoHoursAgo, twoHoursAgo);
    await keepAll.cleanup();
    expect(readdirSync(dir)).toContain('celery-task-meta-fresh');
    await Promise.all([backend.close(), keepAll.close()]);
  });

  it('refuses task ids that would name a file outside the directory', async () => {
    const dir = freshDir();
    const backend = new FilesystemBackend({ url: `file://${dir}` });
    await expect(backend.markAsDone('../../escaped', 1)).rejects.toBeInstanceOf(UnsafeKeyError);
    await expect(backend.getTaskMeta('a/b')).rejects.toBeInstanceOf(UnsafeKeyError);
    expect(existsSync(path.join(root, 'escaped'))).toBe(false);
    await backend.close();
  });

  it('fails with FilesystemPathError while the directory is missing, and works once it exists', async () => {
    const dir = path.join(root, `later-${randomUUID()}`);
    const backend = new FilesystemBackend({ url: `file://${dir}` });
    const err = await backend.markAsDone(randomUUID(), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FilesystemPathError);
    expect((err as Error).message).toContain(dir);
    mkdirSync(dir);
    const taskId = randomUUID();
    await backend.markAsDone(taskId, 'now');
    expect(await backend.getResult(taskId)).toBe('now');
    expect(readdirSync(dir)).toEqual([`celery-task-meta-${taskId}`]); // the .fs-backend-<uuid> probe is gone
    await backend.close();
  });

  it('resolves file:// through the plugin; without it names the package and the plugin', async () => {
    const registry = new BackendRegistry();
    filesystemBackend().install({ backends: registry });
    const backend = await registry.create(`file://${shared}`, { expires: 60 });
    expect(backend).toBeInstanceOf(FilesystemBackendDefault);
    expect(backend.expires).toBe(60);
    expect(backend.supportsAutoexpire).toBe(false);
    await backend.close();
    const err = await new BackendRegistry().create(`file://${shared}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendNotInstalledError);
    expect((err as Error).message).toContain('pnpm add @cq/backend-filesystem');
    expect((err as Error).message).toContain('filesystemBackend()');
  });
});
