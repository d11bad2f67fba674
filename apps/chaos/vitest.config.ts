import { defineProject } from 'vitest/config';
import { projectDefaults } from '../../tooling/vitest.shared.mjs';

const defaults = projectDefaults(import.meta.url);

// Each file owns a private broker it stops and starts: files run one at a time, never beside each other.
export default defineProject({
  ...defaults,
  test: { ...defaults.test, fileParallelism: false, testTimeout: 90_000, hookTimeout: 60_000 },
});
