/**
 * Setup file of every vitest project (`projectDefaults` in `tooling/vitest.shared.mjs`): after each
 * test file, passed or failed, stops every process it started through `spawnTracked` and is still
 * running. Registered first, so it runs after the file's own `afterAll` hooks.
 */
import { afterAll } from 'vitest';
import { stopAllTracked } from './processes.js';

afterAll(() => stopAllTracked());
