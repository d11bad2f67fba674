/**
 * No test process outlives the run: `spawnTracked`/`stopTracked` on their own, then whole vitest runs
 * of the fixtures in `fixtures/` (a vitest child with the real global setup and setup file), checked
 * from outside once that run is over.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './cli.js';
import { taggedProcesses } from './proc-scan.js';
import { RUN_TAG, execFileTracked, spawnTracked, stopTracked, testRunId, trackedProcesses } from './processes.js';
import { pids } from './fixtures/process-tree.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-tooling-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\)\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); // a zombie has exited
  } catch {
    return false;
  }
}

describe('spawnTracked and stopTracked', () => {
  it('tags the process with the run id and leads a process group of its own', async () => {
    const child = spawnTracked(process.execPath, ['-e', `console.log(process.env.${RUN_TAG}, process.pid === Number(require('node:fs').readFileSync('/proc/self/stat', 'utf8').split(' ')[4]))`]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((r) => child.once('close', r));
    expect(out.trim()).toBe(`${testRunId()} true`);
  });

  it('registers the process at once and SIGKILLs a group that ignores SIGTERM after the grace time', async () => {
    const child = spawnTracked(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"]);
    expect(trackedProcesses()).toContain(child);
    await new Promise((r) => child.stdout!.once('data', r));
    const began = Date.now();
    expect(await stopTracked(child, { graceMs: 300 })).toBe(null);
    expect(child.signalCode).toBe('SIGKILL');
    expect(Date.now() - began).toBeLessThan(5000);
    expect(trackedProcesses()).not.toContain(child);
  });

  it('execFileTracked: a timeout stops the whole group, grandchildren included', async () => {
    const run = promisify(execFileTracked);
    const err = await run('sh', ['-c', 'sleep 30 & echo $!; wait'], { timeout: 500 }).then(() => null, (e: Error & { killed?: boolean; stdout?: string }) => e);
    expect(err?.killed).toBe(true);
    const sleeper = Number(err?.stdout?.trim());
    expect(sleeper).toBeGreaterThan(0);
    expect(alive(sleeper)).toBe(false);
    expect(await run('sh', ['-c', 'echo ok'])).toEqual({ stdout: 'ok\n', stderr: '' });
  });
});

/** Runs one fixture file in a vitest of its own tagged `runId`; resolves with its exit code and output. */
async function runFixture(file: string, runId: string, pidFile: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^VITEST|^TEST$/.test(k)) env[k] = v;
  const child = spawnTracked(process.execPath, [path.join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--config', path.join(here, 'fixtures/vitest.config.ts'), file], {
    cwd: repoRoot, env: { ...env, CQ_TEST_RUN_ID: runId, CQ_FIXTURE_PIDS: pidFile, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', (c: number | null) => resolve(c)));
  return { code, output };
}

describe('a whole test run leaves no process behind', () => {
  it('when a file fails during setup (the Python peer removed): the run fails, naming the fix, and no cq or Python process is left', async () => {
    const runId = `fixture-${randomUUID()}`;
    const pidFile = path.join(dir, 'setup-fails.pids');
    const { code, output } = await runFixture('setup-fails.fixture.ts', runId, pidFile);
    expect(code, output).toBe(1);
    expect(output).toContain('Python peer missing: /nonexistent/python3 cannot import celery');
    expect(output).toContain('`apt-get update && apt-get install -y python3-celery`');
    expect(output).not.toContain('LeftoverProcessError'); // stopped by the file's teardown, not found later
    expect(pids(pidFile)).toHaveLength(4); // node worker, its child, python3, cq events
    for (const pid of pids(pidFile)) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(taggedProcesses(runId)).toEqual([]);
  }, 120_000);

  it('when a process escaped its group: the global teardown kills it and fails the run, listing it', async () => {
    const runId = `fixture-${randomUUID()}`;
    const pidFile = path.join(dir, 'escapes.pids');
    const { code, output } = await runFixture('escapes.fixture.ts', runId, pidFile);
    const [, daemon] = pids(pidFile);
    expect(output).toMatch(/1 passed/);
    expect(code, output).toBe(1);
    expect(output).toContain(`LeftoverProcessError [CQ_TEST_LEFTOVER_PROCESS]: 1 process(es) of test run ${runId} outlived it and were killed:`);
    expect(output).toContain(`pid ${daemon} (node)`);
    expect(alive(daemon!)).toBe(false);
    expect(taggedProcesses(runId)).toEqual([]);
  }, 60_000);

  it('when every process is stopped: the run passes and reports nothing', async () => {
    const runId = `fixture-${randomUUID()}`;
    const pidFile = path.join(dir, 'clean.pids');
    const { code, output } = await runFixture('clean.fixture.ts', runId, pidFile);
    expect(code, output).toBe(0);
    expect(output).not.toContain('LeftoverProcessError');
    for (const pid of pids(pidFile)) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 60_000);
});
