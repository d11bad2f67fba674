/**
 * `cq status`: list the workers that answer a ping (Celery `celery status`), Python Celery and cq
 * workers alike:
 *
 * ```
 * ->  w1@host: OK
 * ->  py@host: OK
 *
 * 2 nodes online.
 * ```
 * `--json` prints `{node: {"ok": "pong"}}`; nobody answering exits 69.
 */
import { Command } from 'commander';
import { Control, kombuJson } from '@cq/celery';
import { loadApp } from '../load-app.js';
import { applyAppFlags, withAppFlags, type AppFlags } from '../options.js';
import { finish, remoteOptions, sayReply, withRemoteFlags, type RemoteFlags } from './remote.js';

export function statusCommand(): Command {
  return withRemoteFlags(withAppFlags(new Command('status').description('show the list of workers that are online')))
    .action(async (flags: AppFlags & RemoteFlags) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      const control = new Control(app);
      try {
        const { timeout, destination } = remoteOptions(flags);
        const replies = await control.inspect({ timeout, destination, ...(flags.json ? {} : { callback: (r) => sayReply(r, false) }) }).ping();
        if (flags.json && replies) process.stdout.write(`${kombuJson.stringify(replies)}\n`);
        finish(replies ? Object.keys(replies).length : 0, Boolean(flags.json));
      } finally {
        await control.close();
        await app.close();
      }
    });
}
