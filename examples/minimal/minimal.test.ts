/**
 * The minimal example end to end on the local Redis: its worker.ts as a process, its client.ts as
 * another; the client prints both results; the worker stops warmly (exit code 0) on SIGTERM.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, start, stop } from '../support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('examples/minimal (@cq/app + @cq/worker + Redis transport and backend)', () => {
  it('runs the client against the worker started in code, then stops the worker warmly', async () => {
    const env = { MINIMAL_QUEUE: `minimal-${randomUUID()}` }; // a queue of its own on the shared Redis
    const worker = await start('worker.ts', { cwd: here, env, ready: /ready\./ });
    let exitCode: number | null;
    try {
      const { stdout } = await run('client.ts', { cwd: here, env });
      expect(JSON.parse(stdout.trim())).toEqual({ sum: 5, words: { count: 9, longest: 'quick' } });
    } finally {
      exitCode = await stop(worker);
    }
    expect(exitCode).toBe(0);
    expect(worker.output()).toMatch(/Task minimal\.add\[[0-9a-f-]+\] succeeded/);
    expect(worker.output()).toContain('stopped after 2 task(s)');
  }, 120_000);
});
