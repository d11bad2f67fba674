// ESLint for the whole monorepo, run once from the root: `pnpm lint` (`eslint .`), which is turbo's
// root task `//#lint` in `turbo run typecheck lint` (turbo.json: cached on every source file). One
// process lints every package, so the sources the packages share are parsed once. Measured on the
// 2-core machine: ~100 s of CPU for this one run against ~260 s for one ESLint run per package,
// beside ~350 s for the per-package typechecks that turbo runs alongside it.
//
// - TypeScript (src, tests, benches, configs): typescript-eslint's recommended-type-checked rules
//   through the project service (each file's nearest tsconfig.json), with the exceptions below.
// - The house rules (tooling/eslint/plugin.mjs) on every TS and JS file, tests included, and on
//   each package.json (`cq/package-exports`).
import js from '@eslint/js';
import json from '@eslint/json';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import cq from './tooling/eslint/plugin.mjs';

const TS = ['**/*.ts', '**/*.mts', '**/*.cts'];
const JS = ['**/*.js', '**/*.mjs', '**/*.cjs'];
/** Tests and their fixtures, where values parsed from the wire are poked at through `any`. */
const TESTS = ['**/*.test.ts', '**/test/**', '**/testing/fixtures/**'];

export default defineConfig([
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/.turbo/**',
      '**/.cq/**',
      // Temporary app directories some tests write inside a package (removed after the file runs).
      '**/.cq-test-*/**',
      // What `next dev` writes into examples/nextjs (ignored by git there).
      '**/.next/**',
      '**/next-env.d.ts',
      // Type declarations written by hand for JS modules; checked by tsc where they are used.
      '**/*.d.mts',
      // The root vitest.config.ts belongs to no package tsconfig; it only lists the projects.
      'vitest.config.ts',
      // Files written to break the rules, linted by tooling/eslint/rules.test.ts.
      'tooling/eslint/fixtures/**',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  // House rules: every source and test file.
  {
    files: [...TS, ...JS],
    plugins: { cq },
    rules: {
      'cq/no-export-star': 'error',
      'cq/no-package-internals': 'error',
      'cq/no-relative-outside-package': 'error',
    },
  },
  {
    // A package's vitest.config.ts loads the shared settings in tooling/ by path, as tsconfig's
    // `extends` does; that is configuration, not code reaching into another package.
    files: ['**/vitest.config.ts'],
    rules: { 'cq/no-relative-outside-package': 'off' },
  },
  {
    files: ['**/package.json'],
    language: 'json/json',
    plugins: { json, cq },
    rules: { 'cq/package-exports': 'error', 'json/no-duplicate-keys': 'error' },
  },

  // TypeScript, type-aware.
  {
    files: TS,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Promises: the rules this config is for. A fire-and-forget call is written `void p.catch(log)`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Unused code. `_name` marks a parameter kept for a signature (bootstep hooks, backend
      // template methods) or a destructured field dropped on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      'no-unused-private-class-members': 'off',
      '@typescript-eslint/no-unused-private-class-members': 'error',
      // An async method without `await` still turns a throw into a rejection, which callers of the
      // Promise-returning interfaces (transports, backends, bootsteps) rely on: not a defect here.
      '@typescript-eslint/require-await': 'off',
      // Rejecting with or rethrowing a caught `unknown` keeps the original value, as Celery does.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // `String(x)` / `${x}` of a value read off the wire (typed `unknown`, narrowed to `{}`) is the
      // deliberate last resort of every formatter here; all 17 reports were of that kind, none a bug.
      '@typescript-eslint/no-base-to-string': 'off',
      // `/// <reference path="./x.d.ts" />` brings in a hand-written declaration for an untyped package.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
    },
  },
  {
    // Tests read decoded wire messages and JSON replies through `any` on purpose; `expect` checks them.
    files: TESTS,
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // `expect(obj.method).toHaveBeenCalled()` passes a method unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Plain JavaScript (tooling scripts, the cq bin): no type information, Node globals.
  {
    files: JS,
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node, sourceType: 'module' },
  },
]);
