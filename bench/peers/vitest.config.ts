import { defineProject } from 'vitest/config';
import { projectDefaults } from '../../tooling/vitest.shared.mjs';

// Run with `npx vitest run --config bench/peers/vitest.config.ts` from the repo root (bench is not one of
// the root projects: its tests need Redis, RabbitMQ and Debian's python3-celery).
const defaults = projectDefaults(import.meta.url);
export default defineProject({ ...defaults, test: { ...defaults.test, name: 'bench-peers', include: ['*.test.ts'], testTimeout: 60_000 } });
