/**
 * `@cq/tooling/testing`: test support shared by every cq package (private, never published).
 *
 * - peers: `requirePython([...modules])` and `requireCommand(cmd, debianPackage)` fail a test with
 *   the command that installs what is missing, instead of skipping it;
 * - processes: `spawnTracked`, `execFileTracked` and `stopTracked` start and stop processes so that
 *   none outlives the run (each in a process group of its own, tagged `CQ_TEST_RUN=<run id>`,
 *   stopped after its test file at the latest); `taggedProcesses(testRunId())` lists what carries the tag;
 * - the `cq` CLI from source: `cq(args, env)`, `waitFor`, `exited`;
 * - ports for private servers: `freePort()`, `waitForPort(port, timeoutMs)`;
 * - the Python side of the database interop suite: `databaseInteropPython(modules)`.
 */
export { LeftoverProcessError, MissingPeerError, PythonScriptError, TestSupportError } from './errors.js';
export { PYTHON, requireCommand, requirePython, type PythonModule } from './peers.js';
export {
  RUN_TAG, execFileTracked, spawnTracked, stopAllTracked, stopTracked, testRunId,
  type ExecFileTrackedCallback, type ExecFileTrackedError, type ExecFileTrackedOptions, type StopOptions,
} from './processes.js';
export { taggedProcesses, type TaggedProcess } from './proc-scan.js';
export { cq, cqBin, exited, repoRoot, waitFor, type CqProcess } from './cli.js';
export { freePort, waitForPort } from './ports.js';
export { databaseInteropPython, type PythonScriptRunner } from './python.js';
