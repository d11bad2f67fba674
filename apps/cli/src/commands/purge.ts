/**
 * `cq purge [-Q queues] [-X queues] [-f]`: erase all messages from the known task queues (Celery
 * `celery purge`): the `-Q` list, else the app's `task_queues` / `task_default_queue`, minus `-X`.
 * Without `-f` it asks for confirmation on stdin (`y`/`yes`). Prints
 * `Purged 3 messages from 1 known task queue.` or `No messages purged from 1 queue.`. A queue the
 * broker does not know counts 0, as in Celery. There is no undo.
 */
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { CliError } from '../errors.js';
import { loadApp } from '../load-app.js';
import { applyAppFlags, withAppFlags, type AppFlags } from '../options.js';

interface PurgeFlags extends AppFlags {
  force?: boolean;
  queues?: string;
  excludeQueues?: string;
}

const list = (text: string | undefined): string[] => (text ?? '').split(',').map((q) => q.trim()).filter(Boolean);
const plural = (n: number, word: string): string => (n === 1 ? word : `${word}s`);

export function purgeCommand(): Command {
  return withAppFlags(new Command('purge').description('erase all messages from all known task queues (there is no undo)'))
    .option('-f, --force', "don't prompt for verification")
    .option('-Q, --queues <names>', 'comma separated list of queue names to purge')
    .option('-X, --exclude-queues <names>', 'comma separated list of queue names not to purge')
    .action(async (flags: PurgeFlags) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      try {
        const wanted = list(flags.queues);
        const excluded = new Set(list(flags.excludeQueues));
        const names = [...new Set(wanted.length > 0 ? wanted : app.defaultQueues().map((q) => q.name))].filter((q) => !excluded.has(q)).sort();
        if (names.length === 0) return;
        const headline = plural(names.length, 'queue');
        if (!flags.force) {
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          // stdin closed (not a terminal, nothing piped) reads as "no".
          const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
          const answer = await Promise.race([closed, rl.question(`WARNING: This will remove all tasks from ${headline}: ${names.join(', ')}.\n         There is no undo for this operation!\n\n(to skip this prompt use the -f option)\nAre you sure you want to delete all tasks? [y/N]: `)]);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Aborted!', 1);
        }
        const conn = app.connection();
        let messages = 0;
        try {
          for (const name of names) {
            const channel = await conn.channel();
            messages += await channel.purge(name).catch(() => 0);
            await channel.close().catch(() => undefined);
          }
        } finally {
          await conn.close();
        }
        process.stdout.write(messages > 0
          ? `Purged ${messages} ${plural(messages, 'message')} from ${names.length} known task ${headline}.\n`
          : `No messages purged from ${names.length} ${headline}.\n`);
      } finally {
        await app.close();
      }
    });
}
