/**
 * `cq control <command> [args...]`: steer workers (Celery `celery control`): `revoke <ids>`,
 * `terminate <signal> <ids>`, `rate_limit <task> <rate>`, `time_limit <task> <soft> [hard]`,
 * `add_consumer <queue> [exchange [type [routing_key]]]`, `cancel_consumer <queue>`,
 * `pool_grow [n]`, `pool_shrink [n]`, `autoscale [max [min]]`, `enable_events`, `disable_events`,
 * `heartbeat`, `election`, `shutdown`, and control commands registered on the app (`-A`). Replies
 * are waited for, as Celery's CLI does; `--json` prints the list of `{node: reply}`.
 */
import { Command } from 'commander';
import { Control, kombuJson, type Reply } from '@cq/celery';
import { loadApp } from '../load-app.js';
import { applyAppFlags, withAppFlags, type AppFlags } from '../options.js';
import { compileArguments, finish, lookup, remoteOptions, sayReply, withRemoteFlags, type RemoteFlags } from './remote.js';

export function controlCommand(): Command {
  return withRemoteFlags(withAppFlags(new Command('control')
    .description('workers remote control (revoke, terminate, rate_limit, time_limit, add_consumer, cancel_consumer, pool_grow, pool_shrink, autoscale, enable_events, disable_events, heartbeat, shutdown)')
    .argument('<command>', 'the control command')
    .argument('[args...]', 'its arguments')))
    .action(async (action: string, words: string[], flags: AppFlags & RemoteFlags) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      const control = new Control(app);
      try {
        const command = lookup(app, action, 'control');
        const args = compileArguments(command, words);
        const { timeout, destination } = remoteOptions(flags);
        const replies: Reply[] = await control.broadcast(action, {
          arguments: args, timeout, destination, reply: true, ...(flags.json ? {} : { callback: (r: Reply) => sayReply(r, true) }),
        });
        if (flags.json && replies.length > 0) process.stdout.write(`${kombuJson.stringify(replies)}\n`);
        // Celery's `control` prints no "N nodes online" line.
        finish(replies.length, true);
      } finally {
        await control.close();
        await app.close();
      }
    });
}
