/** `cq call <task>`: send a task by name and print its id (Celery `celery call`). */
import { Command } from 'commander';
import { loadApp } from '../load-app.js';
import { applyAppFlags, parseJsonOption, parseSeconds, withAppFlags, type AppFlags } from '../options.js';

interface CallFlags extends AppFlags {
  args?: string;
  kwargs?: string;
  countdown?: string;
  eta?: string;
  expires?: string;
  queue?: string;
  serializer?: string;
}

export function callCommand(): Command {
  return withAppFlags(new Command('call').description('send a task by name and print its id').argument('<task>', 'task name, e.g. proj.add'))
    .option('--args <json>', 'positional arguments as a JSON array', '[]')
    .option('--kwargs <json>', 'keyword arguments as a JSON object', '{}')
    .option('--countdown <s>', 'run no earlier than this many seconds from now')
    .option('--eta <iso>', 'run no earlier than this ISO-8601 time')
    .option('--expires <s>', 'seconds from now after which the task is revoked')
    .option('--queue <name>', 'queue to send to')
    .option('--serializer <name>', 'json, msgpack or yaml')
    .action(async (task: string, flags: CallFlags) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      try {
        const result = await app.sendTask(task, parseJsonOption<unknown[]>('--args', flags.args, 'array') ?? [], {
          kwargs: parseJsonOption<Record<string, unknown>>('--kwargs', flags.kwargs, 'object') ?? {},
          ...(flags.countdown ? { countdown: parseSeconds('--countdown', flags.countdown) } : {}),
          ...(flags.eta ? { eta: flags.eta } : {}),
          ...(flags.expires ? { expires: parseSeconds('--expires', flags.expires) } : {}),
          ...(flags.queue ? { queue: flags.queue } : {}),
          ...(flags.serializer ? { serializer: flags.serializer } : {}),
        });
        process.stdout.write(`${result.id}\n`);
      } finally {
        await app.close();
      }
    });
}
