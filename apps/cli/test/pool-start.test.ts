/**
 * `cq worker` whose pool children cannot load the app: it says why and how to fix it, and exits 1
 * instead of leaving clients waiting.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cq, exited, repoRoot, sandbox } from './helpers.js';

const brokenApp = path.join(repoRoot, 'apps/cli/test/fixtures/broken-app.ts');

describe.each(['prefork', 'threads'])('cq worker -P %s with an app its children cannot load', (pool) => {
  it('exits 1 with the child\'s error and a hint', async () => {
    const child = cq(['worker', '-A', brokenApp, ...sandbox().flags, '-P', pool, '-c', '2', '--no-banner']);
    expect(await exited(child)).toBe(1);
    const stderr = child.err.join('');
    expect(stderr).toContain(`cq: PoolStartError [CQ_WORKER_POOL_START]: ${pool} pool: a child could not start with the app module ${brokenApp}: `
      + 'Error: the model file is only readable by the parent\nHint: each child imports the app module in a fresh process');
    expect(stderr).not.toContain('ready.');
  }, 60_000);
});
