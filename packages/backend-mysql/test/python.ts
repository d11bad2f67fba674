/** Runs the shared database interop script with Debian's Python (Celery, SQLAlchemy, PyMySQL). */
import { promisify } from 'node:util';
import { execFileTracked, requirePython } from '@cq/tooling/testing';

const exec = promisify(execFileTracked);

/** `/usr/bin/python3 -c script ...args`; rejects with Python's stderr when it fails. */
export async function runPython(script: string, args: readonly string[]): Promise<string> {
  const python = requirePython(['celery', 'sqlalchemy', 'pymysql']);
  try {
    return (await exec(python, ['-c', script, ...args], { timeout: 60_000 })).stdout;
  } catch (err) {
    throw new Error(`Python failed (${args[3] ?? ''}): ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}
