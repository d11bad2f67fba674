import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples', 'tooling'],
    reporters: ['default', './tooling/summary-reporter.mjs'],
    // Tags the run's processes and fails the run when one outlives it (tooling/testing/global-setup.ts).
    globalSetup: ['./tooling/testing/global-setup.ts'],
  },
});
