import { defineProject } from 'vitest/config';
import { projectDefaults } from '../../tooling/vitest.shared.mjs';

const defaults = projectDefaults(import.meta.url);

// The interop files share Redis databases (and flush some of them) and each starts several Python
// and cq processes: run them one file at a time.
export default defineProject({ ...defaults, test: { ...defaults.test, fileParallelism: false } });
