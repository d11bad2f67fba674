import { defineProject } from 'vitest/config';
import { projectDefaults } from '../../tooling/vitest.shared.mjs';

const defaults = projectDefaults(import.meta.url);

// One file: build, pack and two `npm install`s (one compiles better-sqlite3) take minutes.
export default defineProject({ ...defaults, test: { ...defaults.test, testTimeout: 120_000, hookTimeout: 1_200_000 } });
