import type { UserWorkspaceConfig } from 'vitest/config';
export declare const SOURCE_CONDITION: '@cq/source';
export declare const SERVER_TESTS_NOT_RUN: 'cqServerTestsNotRun';
export interface ServerTests {
  /** Environment variable holding the server's URL; the files run only when it is set. */
  env: string;
  /** Globs (from the project root) of the test files that need the server. */
  files: string[];
  /** What they are, e.g. `MongoDB server tests`. */
  what: string;
  /** The command that runs them, printed when they were left out. */
  run: string;
}
export declare const MONGODB_SERVER_TESTS: ServerTests;
export declare function projectDefaults(configUrl: string, options?: { serverTests?: ServerTests }): UserWorkspaceConfig;
