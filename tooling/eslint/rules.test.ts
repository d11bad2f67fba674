/**
 * The lint can fail: each file in fixtures/ breaks rules of the repository's eslint.config.mjs and
 * must be reported with exactly those rules, through ESLint's Node API and the real config (the
 * fixtures are in its global ignores, hence `ignore: false`). clean.ts breaks none.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const fixtures = path.join(here, 'fixtures');

/** Fixture (relative to fixtures/) -> the rule ids it must be reported with, in source order. */
const EXPECTED: Record<string, string[]> = {
  'floating-promise.ts': ['@typescript-eslint/no-floating-promises'],
  'misused-promise.ts': ['@typescript-eslint/no-misused-promises'],
  'await-non-thenable.ts': ['@typescript-eslint/await-thenable'],
  'unused.ts': [
    '@typescript-eslint/no-unused-vars',
    '@typescript-eslint/no-unused-private-class-members',
    '@typescript-eslint/no-unused-vars',
  ],
  // import, export-from, import() and import('...').T
  'deep-import.ts': Array<string>(4).fill('cq/no-package-internals'),
  // a test file: import and vi.mock
  'cli-helpers.test.ts': ['cq/no-package-internals', 'cq/no-package-internals'],
  'relative-outside.ts': ['cq/no-relative-outside-package'],
  'export-star/index.ts': ['cq/no-export-star'],
  'bad-exports/package.json': ['cq/package-exports'],
  'clean.ts': [],
};

describe('eslint.config.mjs', () => {
  const results = new Map<string, ESLint.LintResult>();

  beforeAll(async () => {
    const eslint = new ESLint({ cwd: root, ignore: false });
    for (const result of await eslint.lintFiles(Object.keys(EXPECTED).map((f) => path.join(fixtures, f)))) {
      results.set(path.relative(fixtures, result.filePath), result);
    }
  }, 240_000);

  it.each(Object.entries(EXPECTED))('reports %s with %j', (file, rules) => {
    const result = results.get(file);
    expect(result, `${file} was not linted`).toBeDefined();
    const messages = result?.messages ?? [];
    expect(messages.filter((m) => m.fatal === true)).toEqual([]);
    expect(messages.map((m) => m.ruleId)).toEqual(rules);
  });

  it('names the rule and the way out in the house-rule messages', () => {
    const deep = results.get('deep-import.ts')?.messages[0]?.message;
    expect(deep).toBe(
      '`@cq/app/src/task.js` reaches into the internals of @cq/app: import from `@cq/app` or `@cq/app/testing` (its public exports).',
    );
    expect(results.get('bad-exports/package.json')?.messages[0]?.message).toContain('`./internal`');
  });

  it('lints test files with the house rules and the promise rules', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const file of ['packages/app/src/task.test.ts', 'apps/chaos/test/chord-kill.test.ts']) {
      expect(await eslint.isPathIgnored(path.join(root, file))).toBe(false);
      const config = (await eslint.calculateConfigForFile(path.join(root, file))) as {
        rules: Record<string, unknown>;
      };
      for (const rule of ['cq/no-package-internals', 'cq/no-relative-outside-package', '@typescript-eslint/no-floating-promises']) {
        const setting = config.rules[rule];
        expect([rule, Array.isArray(setting) ? setting[0] : setting]).toEqual([rule, 2]);
      }
    }
  });
});
