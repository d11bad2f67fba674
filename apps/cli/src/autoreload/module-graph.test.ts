import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localModuleGraph, resolveLocal } from './module-graph.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (relative path → content) under a new temporary directory. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-module-graph-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('localModuleGraph', () => {
  it('follows relative imports of every form, as a TypeScript project writes them, and nothing else', () => {
    const dir = project({
      'tasks.ts': [
        "import { Celery } from '@cq/celery';",
        "import fs from 'node:fs';",
        "import { a } from './a.js';",
        "export * from './lib';",
        "import './side-effect.mjs';",
        "const lazy = () => import('./lazy.ts');",
        "import data from './data.json' with { type: 'json' };",
        "import { dep } from './node_modules/dep/index.js';",
      ].join('\n'),
      'a.ts': '', // written below: it names the project's directory
      'sub/b.ts': "const c = require('./c');\nexport const b = 2;",
      'sub/c.cjs': 'module.exports = 3;',
      'lib/index.ts': 'export const lib = 1;',
      'side-effect.mts': '',
      'lazy.ts': '',
      'data.json': '{}',
      'node_modules/dep/index.js': '',
      'unused.ts': '',
    });
    // a.ts reaches sub/b.ts by a path that leaves the project's directory and comes back, and imports tasks.ts (a cycle).
    writeFileSync(path.join(dir, 'a.ts'), `import { b } from '../${path.basename(dir)}/sub/b.js';\nimport { t } from './tasks.js';\nexport const a = 1;`);
    const graph = localModuleGraph(path.join(dir, 'tasks.ts')).map((f) => path.relative(dir, f));
    expect(graph.sort()).toEqual(['a.ts', 'data.json', 'lazy.ts', 'lib/index.ts', 'side-effect.mts', 'sub/b.ts', 'sub/c.cjs', 'tasks.ts']);
  });

  it('prefers the file named by the specifier, then its TypeScript source', () => {
    const dir = project({ 'x.js': '', 'x.ts': '', 'y.ts': '', 'z/index.js': '' });
    const from = path.join(dir, 'main.ts');
    expect(resolveLocal('./x.js', from)).toBe(path.join(dir, 'x.js'));
    expect(resolveLocal('./y.js', from)).toBe(path.join(dir, 'y.ts'));
    expect(resolveLocal('./z', from)).toBe(path.join(dir, 'z/index.js'));
    expect(resolveLocal(`file://${path.join(dir, 'y.ts')}`, from)).toBe(path.join(dir, 'y.ts'));
    expect(resolveLocal('./missing.js', from)).toBeNull();
    expect(resolveLocal('#internal', from)).toBeNull();
  });
});
