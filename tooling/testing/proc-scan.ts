/**
 * Finding a test run's processes by their tag (`CQ_TEST_RUN=<run id>` in /proc/<pid>/environ),
 * whoever started them. Linux only: where /proc is missing the scan finds nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { RUN_TAG } from './processes.js';

/**
 * Programs that may outlive a run although they carry its tag: shared daemons a test starts on
 * demand. `epmd` (Erlang's port mapper) is started by the first Erlang node on the machine, e.g. a
 * private RabbitMQ node of the chaos tests, detaches itself and serves every later node.
 */
export const SHARED_DAEMONS: readonly string[] = ['epmd'];

export interface TaggedProcess {
  pid: number;
  /** Program name (/proc/<pid>/comm). */
  name: string;
  /** Command line, arguments joined by spaces. */
  command: string;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return null; // gone meanwhile, or not ours to read
  }
}

/**
 * Live processes (zombies aside) whose environment holds `CQ_TEST_RUN=<runId>`, except this process,
 * `exclude` and the `SHARED_DAEMONS`.
 */
export function taggedProcesses(runId: string, exclude: readonly number[] = []): TaggedProcess[] {
  if (!existsSync('/proc/self/environ')) return [];
  const entry = `${RUN_TAG}=${runId}`;
  const found: TaggedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || exclude.includes(pid)) continue;
    const environ = read(`/proc/${pid}/environ`);
    if (!environ || !environ.split('\0').includes(entry)) continue;
    const stat = read(`/proc/${pid}/stat`) ?? '';
    const state = stat.charAt(stat.lastIndexOf(')') + 2); // "pid (comm) S ...": comm may hold ')'
    if (state === 'Z' || state === 'X') continue;
    const comm = (read(`/proc/${pid}/comm`) ?? '').trim();
    if (SHARED_DAEMONS.includes(comm)) continue;
    found.push({ pid, name: comm, command: (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ') });
  }
  return found;
}

/** SIGKILLs each process (ignoring those already gone). */
export function killProcesses(processes: readonly TaggedProcess[]): void {
  for (const p of processes) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
