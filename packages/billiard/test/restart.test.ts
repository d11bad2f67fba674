/**
 * `Pool.restart()` (Celery's `pool_restart`), for both kinds: the entry and the module it imports are
 * written to a temporary directory, changed, and the pool restarted.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerInitError } from '@cq/billiard';
import { KINDS, startPool, terminateAll, until } from './helpers.js';

const dirs: string[] = [];

afterEach(async () => {
  await terminateAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An entry whose jobs return the `version` of the module it imports, after sleeping `ms`. */
function entryDir(version: string): { entry: string; setVersion: (source: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cq-billiard-restart-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'entry.ts'), [
    "import { setTimeout as sleep } from 'node:timers/promises';",
    "import { version } from './version.js';",
    'export function init() {',
    '  return async (payload: { ms?: number }) => {',
    '    if (payload.ms) await sleep(payload.ms);',
    '    return version;',
    '  };',
    '}',
  ].join('\n'));
  const setVersion = (source: string): void => writeFileSync(join(dir, 'version.ts'), source);
  setVersion(`export const version: string = '${version}';\n`);
  return { entry: join(dir, 'entry.ts'), setVersion };
}

describe.each(KINDS)('%s pool restart()', (kind) => {
  it('replaces the children with ones loading the changed code; a running job finishes on the old one', async () => {
    const { entry, setVersion } = entryDir('v1');
    const pool = await startPool(kind, { size: 1, entry });
    expect(await pool.apply({})).toBe('v1');
    const [oldPid] = pool.pids;
    const running = pool.apply({ ms: 1_500 });
    await until(() => pool.active === 1);
    const behind = pool.apply({}); // prefetched behind the running job: handed back, run by the new child
    setVersion("export const version: string = 'v2';\n");
    await pool.restart();
    expect(await behind).toBe('v2');
    expect(await running).toBe('v1');
    await until(() => !pool.pids.includes(oldPid!));
    expect(pool.pids).toHaveLength(1);
    expect(await pool.apply({})).toBe('v2');
  });

  it('keeps the old children when the changed code does not load, and restarts once it is fixed', async () => {
    const { entry, setVersion } = entryDir('v1');
    const pool = await startPool(kind, { size: 2, entry });
    const before = [...pool.pids].sort();
    setVersion('export const version: string = ;\n');
    await expect(pool.restart()).rejects.toBeInstanceOf(WorkerInitError);
    expect(await pool.apply({})).toBe('v1');
    await until(() => pool.pids.length === 2); // the new children that did load are gone again
    expect([...pool.pids].sort()).toEqual(before);
    setVersion("export const version: string = 'v3';\n");
    await pool.restart();
    expect(await pool.apply({})).toBe('v3');
  });

  it('a restart asked for during another runs after it', async () => {
    const { entry, setVersion } = entryDir('v1');
    const pool = await startPool(kind, { size: 1, entry });
    const first = pool.restart();
    setVersion("export const version: string = 'v2';\n");
    const second = pool.restart();
    expect(pool.restart()).toBe(second); // a third call shares the pending one
    await first;
    await second;
    expect(await pool.apply({})).toBe('v2');
  });
});
