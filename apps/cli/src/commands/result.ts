/**
 * `cq result <task-id>`: wait for a task's result and print it as JSON (Celery `celery result`).
 * A failed task prints `ExcType: message` on stderr and exits 1; a timeout exits 3.
 */
import { Command } from 'commander';
import { kombuJson, TimeoutError } from '@cq/celery';
import { CliError } from '../errors.js';
import { loadApp } from '../load-app.js';
import { applyAppFlags, parseSeconds, withAppFlags, type AppFlags } from '../options.js';

interface ResultFlags extends AppFlags {
  timeout?: string;
  traceback?: boolean;
}

export function resultCommand(): Command {
  return withAppFlags(new Command('result').description('wait for a task result and print it').argument('<task-id>', 'the id printed by cq call'))
    .option('--timeout <s>', 'seconds to wait (default: forever)')
    .option('--traceback', 'print the remote traceback of a failed task')
    .action(async (id: string, flags: ResultFlags) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      const result = app.asyncResult(id);
      try {
        const value = await result.get({ ...(flags.timeout ? { timeout: parseSeconds('--timeout', flags.timeout) } : {}) });
        process.stdout.write(`${kombuJson.stringify(value ?? null)}\n`);
      } catch (err) {
        if (err instanceof TimeoutError) throw new CliError(`no result for ${id} within ${flags.timeout} s`, 3);
        const e = err as Error;
        if (flags.traceback) {
          const tb = await result.traceback().catch(() => null);
          if (tb) process.stderr.write(`${tb}\n`);
        }
        throw new CliError(`${e.name}: ${e.message}`, 1);
      } finally {
        await app.close();
      }
    });
}
