import { defineProject } from 'vitest/config';
import { projectDefaults } from '../tooling/vitest.shared.mjs';

const base = projectDefaults(import.meta.url);
// `.next/`: what `next dev` builds in nextjs/, with packages it links there (their own tests too).
export default defineProject({ ...base, test: { ...base.test, include: ['**/*.test.ts'], exclude: ['node_modules/**', '**/.next/**'] } });
