/**
 * The vitest global setup of every run (root `vitest.config.ts`, `test.globalSetup`).
 *
 * Setup: tags the run. `CQ_TEST_RUN` is set to a fresh id (or to `CQ_TEST_RUN_ID` when the caller
 * chose one, as the process tests do for the vitest they start) before the workers start, so every
 * process of the run inherits it, whoever spawns it.
 *
 * Teardown (after the workers are gone): any process still carrying the tag survived the run. Each
 * is listed, SIGKILLed, and the run fails (exit code 1) with a `LeftoverProcessError` message.
 */
import { randomUUID } from 'node:crypto';
import { LeftoverProcessError } from './errors.js';
import { killProcesses, taggedProcesses } from './proc-scan.js';
import { RUN_TAG } from './processes.js';

/** Environment variable a caller sets to choose the run id (read once, then removed). */
export const RUN_ID_REQUEST = 'CQ_TEST_RUN_ID';

export default function setup(): () => Promise<void> {
  const runId = process.env[RUN_ID_REQUEST] || `run-${randomUUID()}`;
  delete process.env[RUN_ID_REQUEST];
  process.env[RUN_TAG] = runId;

  return async function teardown(): Promise<void> {
    let survivors = taggedProcesses(runId);
    // A process still exiting (SIGTERM sent by its test) gets a moment before it counts as a survivor.
    for (let i = 0; i < 20 && survivors.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      survivors = taggedProcesses(runId);
    }
    if (survivors.length === 0) return;
    killProcesses(survivors);
    const list = survivors.map((p) => `  pid ${p.pid} (${p.name}): ${p.command.replace(/\s+/g, ' ').slice(0, 300)}`).join('\n');
    const error = new LeftoverProcessError(`${survivors.length} process(es) of test run ${runId} outlived it and were killed:\n${list}`);
    console.error(`\n${error.name} [${error.code}]: ${error.message}\n`);
    process.exitCode = 1; // vitest only logs an error thrown here
  };
}
