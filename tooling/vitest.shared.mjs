// Shared vitest settings for every cq package: tests run from source through the `@cq/source`
// export condition, so no package needs a build before its tests; and after each test file every
// process it started through `spawnTracked` (`@cq/tooling/testing`) is stopped (testing/vitest-setup.ts).
import { fileURLToPath } from 'node:url';
import { basename, dirname } from 'node:path';

export const SOURCE_CONDITION = '@cq/source';

const SETUP_FILE = fileURLToPath(new URL('./testing/vitest-setup.ts', import.meta.url));

/** @param {string} configUrl import.meta.url of the package's vitest.config.ts */
export function projectDefaults(configUrl) {
  const root = dirname(fileURLToPath(configUrl));
  return {
    resolve: { conditions: [SOURCE_CONDITION] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION], externalConditions: [SOURCE_CONDITION] } },
    test: {
      name: basename(root),
      root,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      setupFiles: [SETUP_FILE],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      env: { NODE_OPTIONS: `--conditions=${SOURCE_CONDITION}` },
    },
  };
}
