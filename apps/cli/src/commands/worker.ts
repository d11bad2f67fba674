/**
 * `cq worker`: start a worker for the app (Celery `celery worker`).
 *
 * Shutdown by POSIX signal, as Celery 5.5 (docs "Worker shutdown"); each further SIGINT/SIGTERM moves
 * to the next stage:
 * - first SIGTERM or SIGINT: warm (stop consuming, requeue prefetched and ETA-held messages, let
 *   running tasks finish), exit code 0;
 * - next: soft when `worker_soft_shutdown_timeout` > 0 (running tasks get that many seconds, then
 *   are cancelled), else cold; from soft: cold (cancel running tasks now, acks-late messages requeued);
 * - SIGQUIT: cold, through the soft stage first when it is enabled (as Celery does);
 * - one more signal during cold: exit at once (Celery's hard shutdown).
 * Soft and cold exit with code 1.
 */
import { Command } from 'commander';
import { Beat, Worker, createLogger, type ShutdownMode } from '@cq/celery';
import { banner } from '../banner.js';
import { CliError } from '../errors.js';
import { loadApp } from '../load-app.js';
import { applyAppFlags, parsePositiveInt, parseSeconds, withAppFlags, type AppFlags } from '../options.js';

interface WorkerFlags extends AppFlags {
  queues?: string;
  excludeQueues?: string;
  concurrency?: string;
  pool: string;
  hostname?: string;
  loglevel: string;
  timeLimit?: string;
  softTimeLimit?: string;
  prefetchMultiplier?: string;
  banner: boolean;
  beat?: boolean;
}

const list = (text: string) => text.split(',').map((q) => q.trim()).filter(Boolean);

export function workerCommand(version: string): Command {
  return withAppFlags(new Command('worker').description('start a worker'))
    .option('-Q, --queues <names>', 'comma-separated queues to consume (default: task_queues or "celery")')
    .option('-X, --exclude-queues <names>', 'comma-separated queues not to consume')
    .option('-c, --concurrency <n>', 'tasks run at once (default: 100 for async, 1 for solo)')
    .option('-P, --pool <name>', 'execution pool: async or solo', 'async')
    .option('-n, --hostname <name>', 'node name; %h is the host name (default: celery@%h)')
    .option('-l, --loglevel <level>', 'debug, info, warning, error or critical', 'info')
    .option('--time-limit <s>', 'hard time limit per task, seconds')
    .option('--soft-time-limit <s>', 'soft time limit per task, seconds')
    .option('--prefetch-multiplier <n>', 'prefetch = concurrency x this (worker_prefetch_multiplier)')
    .option('--no-banner', 'do not print the start-up banner')
    .option('-B, --beat', 'also run beat (periodic tasks) inside this worker, for development (Celery -B)')
    .action(async (flags: WorkerFlags) => {
      const log = createLogger({ level: flags.loglevel });
      const app = applyAppFlags(await loadApp(flags.app), flags);
      app.log = log;
      if (flags.pool !== 'async' && flags.pool !== 'solo') throw new CliError(`-P ${flags.pool}: unknown pool; use async or solo (prefork and threads come with @cq/billiard)`);
      const worker = new Worker(app, {
        pool: flags.pool,
        ...(flags.concurrency ? { concurrency: parsePositiveInt('-c', flags.concurrency) } : {}),
        ...(flags.queues ? { queues: list(flags.queues) } : {}),
        ...(flags.excludeQueues ? { excludeQueues: list(flags.excludeQueues) } : {}),
        ...(flags.hostname ? { hostname: flags.hostname } : {}),
        ...(flags.timeLimit ? { timeLimit: parseSeconds('--time-limit', flags.timeLimit) } : {}),
        ...(flags.softTimeLimit ? { softTimeLimit: parseSeconds('--soft-time-limit', flags.softTimeLimit) } : {}),
        ...(flags.prefetchMultiplier ? { prefetchMultiplier: Number(flags.prefetchMultiplier) } : {}),
        log,
      });
      if (flags.banner) process.stdout.write(banner(worker, version, flags.pool));
      // Log lines are written asynchronously: flush them before the process ends.
      const exit = (code: number) => log.flush(() => process.exit(code));
      const softEnabled = app.conf.worker_soft_shutdown_timeout > 0;
      let beat: Beat | null = null;
      const onSignal = (sig: NodeJS.Signals) => {
        const stage = worker.shutdownMode;
        if (stage === 'cold') {
          log.warn(`${sig} during cold shutdown: exiting now`);
          exit(1);
          return;
        }
        const next: ShutdownMode = sig === 'SIGQUIT'
          ? (stage === null && softEnabled ? 'soft' : 'cold')
          : stage === null ? 'warm' : stage === 'warm' && softEnabled ? 'soft' : 'cold';
        if (next === 'warm') log.warn('worker: Hitting Ctrl+C again will initiate cold shutdown, terminating all running tasks!');
        if (next === 'soft') log.warn('worker: Hitting Ctrl+C again will terminate all running tasks!');
        log.warn(`worker: ${next === 'warm' ? 'Warm' : next === 'soft' ? 'Soft' : 'Cold'} shutdown (${sig})`);
        const beatStopped = beat?.stop();
        const stopping = worker.shutdown(next, { sig });
        if (stage !== null) return;
        void stopping.then(() => beatStopped).then(() => app.close()).then(() => exit(worker.shutdownMode === 'warm' ? 0 : 1), (err: unknown) => {
          log.error(`shutdown failed: ${String(err)}`);
          exit(1);
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('SIGQUIT', onSignal);
      await worker.start();
      if (flags.beat) void (beat = new Beat(app, { log })).run();
    });
}
