/**
 * `cq worker`: start a worker for the app (Celery `celery worker`). First SIGINT/SIGTERM: warm
 * shutdown (running tasks finish, prefetched ones go back); a second one exits at once.
 */
import { Command } from 'commander';
import { Worker, createLogger } from '@cq/celery';
import { banner } from '../banner.js';
import { CliError } from '../errors.js';
import { loadApp } from '../load-app.js';
import { applyAppFlags, parsePositiveInt, parseSeconds, withAppFlags, type AppFlags } from '../options.js';

interface WorkerFlags extends AppFlags {
  queues?: string;
  concurrency?: string;
  pool: string;
  hostname?: string;
  loglevel: string;
  timeLimit?: string;
  softTimeLimit?: string;
  prefetchMultiplier?: string;
  banner: boolean;
}

export function workerCommand(version: string): Command {
  return withAppFlags(new Command('worker').description('start a worker'))
    .option('-Q, --queues <names>', 'comma-separated queues to consume (default: task_queues or "celery")')
    .option('-c, --concurrency <n>', 'tasks run at once (default: 100 for async, 1 for solo)')
    .option('-P, --pool <name>', 'execution pool: async or solo', 'async')
    .option('-n, --hostname <name>', 'node name; %h is the host name (default: celery@%h)')
    .option('-l, --loglevel <level>', 'debug, info, warning, error or critical', 'info')
    .option('--time-limit <s>', 'hard time limit per task, seconds')
    .option('--soft-time-limit <s>', 'soft time limit per task, seconds')
    .option('--prefetch-multiplier <n>', 'prefetch = concurrency x this (worker_prefetch_multiplier)')
    .option('--no-banner', 'do not print the start-up banner')
    .action(async (flags: WorkerFlags) => {
      const log = createLogger({ level: flags.loglevel });
      const app = applyAppFlags(await loadApp(flags.app), flags);
      app.log = log;
      if (flags.pool !== 'async' && flags.pool !== 'solo') throw new CliError(`-P ${flags.pool}: unknown pool; use async or solo (prefork and threads come with @cq/billiard)`);
      const worker = new Worker(app, {
        pool: flags.pool,
        ...(flags.concurrency ? { concurrency: parsePositiveInt('-c', flags.concurrency) } : {}),
        ...(flags.queues ? { queues: flags.queues.split(',').map((q) => q.trim()).filter(Boolean) } : {}),
        ...(flags.hostname ? { hostname: flags.hostname } : {}),
        ...(flags.timeLimit ? { timeLimit: parseSeconds('--time-limit', flags.timeLimit) } : {}),
        ...(flags.softTimeLimit ? { softTimeLimit: parseSeconds('--soft-time-limit', flags.softTimeLimit) } : {}),
        ...(flags.prefetchMultiplier ? { prefetchMultiplier: Number(flags.prefetchMultiplier) } : {}),
        log,
      });
      if (flags.banner) process.stdout.write(banner(worker, version, flags.pool));
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          log.warn(`${sig} again: cold shutdown`);
          log.flush(() => process.exit(1));
          return;
        }
        log.warn(`worker: Warm shutdown (${sig})`);
        // Log lines are written asynchronously: flush them before the process ends.
        const exit = (code: number) => log.flush(() => process.exit(code));
        void worker.stop().then(() => app.close()).then(() => exit(0), (err: unknown) => {
          log.error(`shutdown failed: ${String(err)}`);
          exit(1);
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      await worker.start();
    });
}
