// Shared vitest settings for every cq package: tests run from source through the `@cq/source`
// export condition, so no package needs a build before its tests; and after each test file every
// process it started through `spawnTracked` (`@cq/tooling/testing`) is stopped (testing/vitest-setup.ts).
import { fileURLToPath } from 'node:url';
import { basename, dirname } from 'node:path';

export const SOURCE_CONDITION = '@cq/source';

/** The `provide` key under which a project records server tests it left out (read by summary-reporter.mjs). */
export const SERVER_TESTS_NOT_RUN = 'cqServerTestsNotRun';

const SETUP_FILE = fileURLToPath(new URL('./testing/vitest-setup.ts', import.meta.url));

/**
 * The `serverTests` of the MongoDB packages: their `test/server/` files need a MongoDB server, which
 * no test can start on this machine, named by CQ_TEST_MONGODB_URL.
 */
export const MONGODB_SERVER_TESTS = {
  env: 'CQ_TEST_MONGODB_URL',
  files: ['test/server/**'],
  what: 'MongoDB server tests',
  run: 'CQ_TEST_MONGODB_URL=mongodb://127.0.0.1:27017/cq_test corepack pnpm exec vitest run packages/transport-mongodb packages/backend-mongodb',
};

/**
 * @param {string} configUrl import.meta.url of the package's vitest.config.ts
 * @param {{ serverTests?: { env: string, files: string[], what: string, run: string } }} [options]
 *   `serverTests`: test files that need a server no test can start here (MongoDB): they run only when
 *   the environment variable `env` is set (the project's tests read the server's URL from it); when
 *   it is not, they are left out and the run's summary says so in one line naming `run` (the command
 *   that runs them). The project's other tests always run.
 */
export function projectDefaults(configUrl, options = {}) {
  const root = dirname(fileURLToPath(configUrl));
  const server = options.serverTests;
  const leftOut = server && !process.env[server.env];
  return {
    resolve: { conditions: [SOURCE_CONDITION] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION], externalConditions: [SOURCE_CONDITION] } },
    test: {
      name: basename(root),
      root,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      ...(leftOut ? {
        exclude: ['**/node_modules/**', '**/dist/**', ...server.files],
        provide: { [SERVER_TESTS_NOT_RUN]: { env: server.env, what: server.what, run: server.run } },
      } : {}),
      setupFiles: [SETUP_FILE],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      env: { NODE_OPTIONS: `--conditions=${SOURCE_CONDITION}` },
    },
  };
}
