import { defineProject } from 'vitest/config';
import { projectDefaults } from './vitest.shared.mjs';

const defaults = projectDefaults(import.meta.url);
// `fixtures/` directories hold inputs of the tests (files a test runs in a vitest of its own, or
// lints), never tests of this project.
export default defineProject({ ...defaults, test: { ...defaults.test, include: ['**/*.test.ts'], exclude: ['**/fixtures/**', '**/node_modules/**'] } });
