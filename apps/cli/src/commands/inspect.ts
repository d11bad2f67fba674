/**
 * `cq inspect <command> [args...]`: ask workers about their state (Celery `celery inspect`):
 * `ping`, `stats`, `active`, `reserved`, `scheduled`, `revoked`, `registered`, `query_task <ids>`,
 * `conf`, `report`, `clock`, `active_queues`, and inspect commands registered on the app (`-A`).
 * `--json` prints `{node: reply}`.
 */
import { Command } from 'commander';
import { Control, kombuJson } from '@cq/celery';
import { loadApp } from '../load-app.js';
import { applyAppFlags, withAppFlags, type AppFlags } from '../options.js';
import { compileArguments, finish, lookup, remoteOptions, sayReply, withRemoteFlags, type RemoteFlags } from './remote.js';

export function inspectCommand(): Command {
  return withRemoteFlags(withAppFlags(new Command('inspect')
    .description('inspect the workers at runtime (ping, stats, active, reserved, scheduled, revoked, registered, query_task, conf, report, active_queues)')
    .argument('<command>', 'the inspect command')
    .argument('[args...]', 'its arguments')))
    .action(async (action: string, words: string[], flags: AppFlags & RemoteFlags) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      const control = new Control(app);
      try {
        const command = lookup(app, action, 'inspect');
        const args = compileArguments(command, words);
        const { timeout, destination } = remoteOptions(flags);
        const replies = await control.inspect({
          timeout, destination, ...(flags.json ? {} : { callback: (r) => sayReply(r, true) }),
        }).request(action, args);
        if (flags.json && replies) process.stdout.write(`${kombuJson.stringify(replies)}\n`);
        finish(replies ? Object.keys(replies).length : 0, Boolean(flags.json));
      } finally {
        await control.close();
        await app.close();
      }
    });
}
