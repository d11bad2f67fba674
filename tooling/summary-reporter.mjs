// Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own report,
// so CI can read the outcome without parsing vitest's format. A test that never ran because a hook of
// its suite or file failed (a missing peer fails `beforeAll`) counts as failed, not skipped; test
// files that failed to load (an import error) are counted after the line's `;`. Server tests a
// project left out for want of their server's URL (`serverTests`, vitest.shared.mjs) get one line
// each after it, naming the command that runs them: the one opt-out the test suite has.
import { SERVER_TESTS_NOT_RUN } from './vitest.shared.mjs';

export default class SummaryReporter {
  onTestRunEnd(testModules) {
    let passed = 0, failed = 0, skipped = 0, unloaded = 0;
    for (const mod of testModules) {
      if (mod.errors().length > 0 && [...mod.children.allTests()].length === 0) unloaded++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed' || hookFailed(test)) failed++;
        else skipped++;
      }
    }
    const files = unloaded > 0 ? `; ${unloaded} test file(s) failed before collecting a test` : '';
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${files}\n`);
    for (const line of serverTestsNotRun(testModules)) process.stdout.write(`${line}\n`);
  }
}

/**
 * One line per group of server tests left out of this run (`serverTests` of vitest.shared.mjs: the
 * projects record them under `provide`), for the projects that had test files in the run.
 */
function serverTestsNotRun(testModules) {
  const byEnv = new Map();
  for (const mod of testModules) {
    const note = mod.project.config.provide?.[SERVER_TESTS_NOT_RUN];
    if (!note) continue;
    const entry = byEnv.get(note.env) ?? { ...note, projects: new Set() };
    entry.projects.add(mod.project.name);
    byEnv.set(note.env, entry);
  }
  return [...byEnv.values()].map((n) =>
    `NOT RUN: ${n.what} (${[...n.projects].sort().join(', ')}): ${n.env} is not set; run them with: ${n.run}`);
}

/** Whether a suite or the module holding `test` recorded an error (a failed beforeAll, say). */
function hookFailed(test) {
  for (let node = test.parent; node; node = node.type === 'module' ? undefined : node.parent) {
    if (node.errors().length > 0) return true;
  }
  return false;
}
