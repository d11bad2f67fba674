import { defineProject } from 'vitest/config';
import { projectDefaults } from '../../tooling/vitest.shared.mjs';

export default defineProject(projectDefaults(import.meta.url));
