import { describe, expect, it } from 'vitest';
import { PythonScriptError } from './errors.js';
import { databaseInteropPython } from './python.js';

describe('databaseInteropPython', () => {
  const runPython = databaseInteropPython(['celery']);
  const args = ['db+sqlite:///x.db', 'tasks', 'groups', 'read', '[]'];

  it('runs the script with its arguments and resolves with stdout', async () => {
    expect(await runPython('import sys, celery; print(sys.argv[1:], celery.__name__)', args)).toBe("['db+sqlite:///x.db', 'tasks', 'groups', 'read', '[]'] celery\n");
  });

  it('rejects with PythonScriptError naming the command and carrying the traceback', async () => {
    const err = await runPython('raise SystemExit("broken " + __import__("sys").argv[4])', args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PythonScriptError);
    expect(err).toMatchObject({ code: 'CQ_TEST_PYTHON_FAILED', stderr: 'broken read\n' });
    expect((err as Error).message).toBe('Python failed (read): broken read\n');
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});
