/** The `cq` program: subcommands and error reporting. */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { redactUrls } from '@cq/celery';
import { beatCommand } from './commands/beat.js';
import { callCommand } from './commands/call.js';
import { controlCommand } from './commands/control.js';
import { inspectCommand } from './commands/inspect.js';
import { purgeCommand } from './commands/purge.js';
import { eventsCommand } from './commands/events.js';
import { reportCommand } from './commands/report.js';
import { listCommand } from './commands/list.js';
import { migrateCommand } from './commands/migrate.js';
import { resultCommand } from './commands/result.js';
import { statusCommand } from './commands/status.js';
import { workerCommand } from './commands/worker.js';
import { CliError } from './errors.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export function program(): Command {
  return new Command('cq')
    .description('cq: Celery in TypeScript, wire-compatible with Python Celery 5.x')
    .version(version)
    .showHelpAfterError()
    .addCommand(workerCommand(version))
    .addCommand(beatCommand(version))
    .addCommand(callCommand())
    .addCommand(resultCommand())
    .addCommand(inspectCommand())
    .addCommand(controlCommand())
    .addCommand(statusCommand())
    .addCommand(purgeCommand())
    .addCommand(eventsCommand())
    .addCommand(reportCommand())
    .addCommand(listCommand())
    .addCommand(migrateCommand());
}

/** Runs the CLI; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().exitOverride().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      process.stderr.write(`cq: ${redactUrls(err.message)}\n`);
      return err.exitCode;
    }
    const e = err as Error & { code?: string };
    // Messages name URLs with their passwords masked already; this is the last line of defence.
    process.stderr.write(`cq: ${e.name}${e.code ? ` [${e.code}]` : ''}: ${redactUrls(e.message)}\n`);
    return 1;
  }
}
