/**
 * Interop with real Python Celery (Debian's `/usr/bin/python3`, celery 5.2) on one directory: the
 * shared key-value interop suite (each side reads what the other stored, failures with their
 * exception type and message), then cleanup across the two: each side's `cleanup()` removes the
 * other's expired files and keeps the fresh ones.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeKeyValueInterop } from '@cq/backend/testing';
import { databaseInteropPython } from '@cq/tooling/testing';
import { FilesystemBackend } from '../src/index.js';

const runPython = databaseInteropPython(['celery']);
const dir = mkdtempSync(path.join(tmpdir(), 'cq-fs-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const url = `file://${dir}`;

describeKeyValueInterop('filesystem', {
  factory: (options) => new FilesystemBackend({ ...options, url }),
  python: () => ({ url }),
  runPython,
});

describe('file-system cleanup across Python and cq', () => {
  it("each side's cleanup removes the other's expired result files and keeps fresh ones", async () => {
    const cleanDir = mkdtempSync(path.join(dir, 'cleanup-'));
    const cleanUrl = `file://${cleanDir}`;
    const backend = new FilesystemBackend({ url: cleanUrl, expires: 3600 });
    const prelude = 'import sys\nfrom celery import Celery\napp = Celery(backend=sys.argv[1])\napp.conf.result_expires = 3600\n';
    const files = () => readdirSync(cleanDir).sort();
    const age = (id: string) => {
      const twoHoursAgo = new Date(Date.now() - 7_200_000);
      utimesSync(path.join(cleanDir, `celery-task-meta-${id}`), twoHoursAgo, twoHoursAgo);
    };

    const [cqOld, cqFresh] = [randomUUID(), randomUUID()];
    await backend.markAsDone(cqOld, 1);
    await backend.markAsDone(cqFresh, 2);
    age(cqOld);
    await runPython(`${prelude}app.backend.cleanup()`, [cleanUrl]);
    expect(files()).toEqual([`celery-task-meta-${cqFresh}`]);

    const [pyOld, pyFresh] = [randomUUID(), randomUUID()];
    await runPython(`${prelude}for i in sys.argv[2:]: app.backend.store_result(i, 3, 'SUCCESS')`, [cleanUrl, pyOld, pyFresh]);
    age(pyOld);
    await backend.cleanup();
    expect(files()).toEqual([`celery-task-meta-${cqFresh}`, `celery-task-meta-${pyFresh}`].sort());
    expect(await backend.getResult(pyFresh)).toBe(3);
    await backend.close();
  });
});
