import { defineProject } from 'vitest/config';
import { projectDefaults } from '../tooling/vitest.shared.mjs';

const base = projectDefaults(import.meta.url);
export default defineProject({ ...base, test: { ...base.test, include: ['**/*.test.ts'], exclude: ['node_modules/**'] } });
