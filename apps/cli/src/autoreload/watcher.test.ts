import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AppWatcher } from './watcher.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

/** A project with tasks.ts importing helper.ts, watched with a 100 ms debounce; `changes` collects each report. */
function watched(): { dir: string; file: (name: string) => string; changes: string[][] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-app-watcher-'));
  const file = (name: string) => path.join(dir, name);
  writeFileSync(file('tasks.ts'), "import { v } from './helper.js';\n");
  writeFileSync(file('helper.ts'), 'export const v = 1;\n');
  writeFileSync(file('other.ts'), 'export const o = 1;\n');
  const changes: string[][] = [];
  const watcher = new AppWatcher(file('tasks.ts'), (files) => changes.push(files.map((f) => path.basename(f))), { debounceMs: 100 });
  watcher.start();
  cleanup.push(() => watcher.close(), () => rmSync(dir, { recursive: true, force: true }));
  return { dir, file, changes };
}

describe('AppWatcher', () => {
  it('reports a burst of writes once, after it settles, naming the changed file', async () => {
    const { file, changes } = watched();
    for (let i = 2; i <= 6; i++) {
      writeFileSync(file('helper.ts'), `export const v = ${i};\n`);
      await sleep(20);
    }
    await sleep(400);
    expect(changes).toEqual([['helper.ts']]);
  });

  it('ignores files outside the module graph and writes that leave the content as it was', async () => {
    const { file, changes } = watched();
    writeFileSync(file('other.ts'), 'export const o = 2;\n');
    writeFileSync(file('helper.ts'), 'export const v = 1;\n');
    utimesSync(file('tasks.ts'), new Date(), new Date());
    await sleep(400);
    expect(changes).toEqual([]);
  });

  it('sees a save by rename, and follows an import added by a change', async () => {
    const { file, changes } = watched();
    writeFileSync(file('tasks.ts.tmp'), "import { v } from './helper.js';\nimport { o } from './other.js';\n");
    renameSync(file('tasks.ts.tmp'), file('tasks.ts'));
    await sleep(400);
    expect(changes).toEqual([['tasks.ts']]);
    writeFileSync(file('other.ts'), 'export const o = 3;\n');
    await sleep(400);
    expect(changes).toEqual([['tasks.ts'], ['other.ts']]);
  });
});
