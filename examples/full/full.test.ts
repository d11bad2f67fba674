/**
 * The full example end to end: `cq worker -A tasks.ts` (prefork, the CLI's default) and the client,
 * both in a fresh directory so the embedded SQLite broker and results (`./.cq/`) are their own.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cqBin } from '@cq/tooling/testing';
import { run, start, stop } from '../support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-example-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/full (@cq/celery, embedded SQLite, canvas)', () => {
  it('runs a chain, a group, a chord and a chain with a chord inside on a prefork worker', async () => {
    const worker = await start(cqBin, { args: ['worker', '-A', path.join(here, 'tasks.ts'), '-c', '2', '-l', 'info'], cwd: dir, ready: /ready\./ });
    let exitCode: number | null;
    try {
      expect(worker.output()).toMatch(/transport:\s+sqlite:\/\/\/\.cq\/broker\.db\s+\(embedded default\)/);
      expect(worker.output()).toMatch(/concurrency: 2 \(prefork\)/);
      const { stdout } = await run(path.join(here, 'client.ts'), { cwd: dir });
      expect(JSON.parse(stdout.trim())).toEqual({ chain: 50, group: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18], chord: 90, mixed: 30 });
    } finally {
      exitCode = await stop(worker);
    }
    expect(exitCode).toBe(0);
    expect(existsSync(path.join(dir, '.cq/broker.db'))).toBe(true);
  }, 120_000);
});
