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
 *
 * Pools (`-P`, Celery `worker_pool`): `prefork` (the default, as Celery: child processes), `threads`,
 * `async`, `solo`. Children of `prefork`/`threads` load the app from the `-A` module and run only the
 * task functions; this process keeps the broker, acks, results and retries. Without `-A` the default is
 * `async` (there is no module for children to load).
 *
 * `--autoreload` (development): this process becomes the `Autoreloader` (`../autoreload/`), which runs
 * the worker as a child process and reloads the code when the `-A` module or a local file it imports
 * changes: the pool's children are restarted in place (prefork, threads) or the worker process is
 * replaced after a warm shutdown (async, solo).
 */
import path from 'node:path';
import { Command, type Command as CommandType } from 'commander';
import { Beat, Worker, createLogger, workerSettings, type ShutdownMode } from '@cq/celery';
import { Autoreloader } from '../autoreload/supervisor.js';
import { serveSupervisor, takeSupervised } from '../autoreload/supervised.js';
import { banner } from '../banner.js';
import { CliError } from '../errors.js';
import { loadApp } from '../load-app.js';
import { applyAppFlags, parsePositiveInt, parseSeconds, withAppFlags, type AppFlags } from '../options.js';

interface WorkerFlags extends AppFlags {
  queues?: string;
  excludeQueues?: string;
  concurrency?: string;
  pool?: string;
  maxTasksPerChild?: string;
  maxMemoryPerChild?: string;
  autoscale?: string;
  hostname?: string;
  loglevel: string;
  timeLimit?: string;
  softTimeLimit?: string;
  prefetchMultiplier?: string;
  banner: boolean;
  beat?: boolean;
  taskEvents?: boolean;
  statedb?: string;
  withoutGossip?: boolean;
  withoutMingle?: boolean;
  withoutHeartbeat?: boolean;
  autoreload?: boolean;
}

const list = (text: string) => text.split(',').map((q) => q.trim()).filter(Boolean);

const POOLS = ['prefork', 'threads', 'async', 'solo'] as const;
type PoolFlag = (typeof POOLS)[number];

/** `-A` as an absolute path for the children (`path:name` keeps its export name). */
function appModulePath(spec: string): string {
  const colon = spec.lastIndexOf(':');
  const hasAttr = colon > 1 && !spec.slice(colon).includes('/');
  return hasAttr ? `${path.resolve(spec.slice(0, colon))}${spec.slice(colon)}` : path.resolve(spec);
}

/** `worker` and the options given on the command line, but `--autoreload`: the command line of the supervised worker. */
function workerArgs(command: CommandType): string[] {
  const args = ['worker'];
  for (const option of command.options) {
    const key = option.attributeName();
    if (key === 'autoreload' || command.getOptionValueSource(key) !== 'cli') continue;
    const flag = option.long ?? option.short!;
    const value: unknown = command.getOptionValue(key);
    if (option.negate || typeof value === 'boolean') args.push(flag);
    else args.push(flag, String(value));
  }
  return args;
}

/** Runs the worker under the {@link Autoreloader}; this process exits with the worker's exit code. */
function autoreload(flags: WorkerFlags, command: CommandType): void {
  if (!flags.app) throw new CliError('--autoreload: give -A, the app module to watch', 2);
  const log = createLogger({ level: flags.loglevel });
  const spec = appModulePath(flags.app);
  const colon = spec.lastIndexOf(':');
  const appModule = colon > 1 && !spec.slice(colon).includes('/') ? spec.slice(0, colon) : spec;
  void new Autoreloader({ appModule, args: workerArgs(command), log }).run().then((code) => log.flush(() => process.exit(code)));
}

/** `--autoscale max,min` (Celery: min defaults to 0). */
function parseAutoscale(text: string): { max: number; min: number } {
  const [max, min = '0'] = text.split(',').map((n) => n.trim());
  const parsed = { max: parsePositiveInt('--autoscale max', max ?? ''), min: Number(min) };
  if (!Number.isInteger(parsed.min) || parsed.min < 0 || parsed.min > parsed.max) throw new CliError(`--autoscale ${text}: give max,min with 0 <= min <= max, e.g. --autoscale 10,3`);
  return parsed;
}

export function workerCommand(version: string): Command {
  return withAppFlags(new Command('worker').description('start a worker'))
    .option('-Q, --queues <names>', 'comma-separated queues to consume (default: task_queues or "celery")')
    .option('-X, --exclude-queues <names>', 'comma-separated queues not to consume')
    .option('-c, --concurrency <n>', 'tasks run at once (default: worker_concurrency, else CPUs for prefork/threads, 100 for async, 1 for solo)')
    .option('-P, --pool <name>', 'execution pool: prefork, threads, async or solo (default: worker_pool, else prefork)')
    .option('--max-tasks-per-child <n>', 'prefork/threads: replace a child after n tasks (worker_max_tasks_per_child)')
    .option('--max-memory-per-child <KiB>', 'prefork/threads: replace a child past this resident memory, KiB (worker_max_memory_per_child)')
    .option('--autoscale <max,min>', 'prefork/threads: grow and shrink between min and max children with the load')
    .option('-n, --hostname <name>', 'node name; %h is the host name (default: celery@%h)')
    .option('-l, --loglevel <level>', 'debug, info, warning, error or critical', 'info')
    .option('--time-limit <s>', 'hard time limit per task, seconds')
    .option('--soft-time-limit <s>', 'soft time limit per task, seconds')
    .option('--prefetch-multiplier <n>', 'prefetch = concurrency x this (worker_prefetch_multiplier)')
    .option('--no-banner', 'do not print the start-up banner')
    .option('-E, --task-events', 'send task-related events for monitors (worker_send_task_events)')
    .option('-B, --beat', 'also run beat (periodic tasks) inside this worker, for development (Celery -B)')
    .option('-S, --statedb <file>', 'keep revoked task ids in this file across restarts (worker_state_db)')
    .option('--without-gossip', 'do not follow the other workers\' events (the Gossip step)')
    .option('--without-mingle', 'do not sync revoked ids with the other workers at start-up (the Mingle step)')
    .option('--without-heartbeat', 'send no worker-online/heartbeat/offline events (the Heart step)')
    .option('--autoreload', 'development: reload when the -A module or a local file it imports changes (prefork/threads: new children; async/solo: a new worker process)')
    .action(async (flags: WorkerFlags, command: CommandType) => {
      const supervised = takeSupervised();
      if (flags.autoreload && !supervised) return autoreload(flags, command);
      const log = createLogger({ level: flags.loglevel });
      const app = applyAppFlags(await loadApp(flags.app), flags);
      app.log = log;
      if (flags.taskEvents) app.conf.worker_send_task_events = true;
      if (flags.statedb) app.conf.worker_state_db = flags.statedb;
      const pool = (flags.pool ?? workerSettings(app.conf).worker_pool ?? (flags.app ? 'prefork' : 'async')) as PoolFlag;
      if (!POOLS.includes(pool)) throw new CliError(`-P ${pool}: unknown pool; use ${POOLS.join(', ')}`);
      const children = pool === 'prefork' || pool === 'threads';
      if (children && !flags.app) throw new CliError(`-P ${pool}: its children load the app from a module: give -A, or use -P async`);
      const worker = new Worker(app, {
        pool,
        ...(children ? { appModule: appModulePath(flags.app!) } : {}),
        ...(flags.concurrency ? { concurrency: parsePositiveInt('-c', flags.concurrency) } : {}),
        ...(flags.maxTasksPerChild ? { maxTasksPerChild: parsePositiveInt('--max-tasks-per-child', flags.maxTasksPerChild) } : {}),
        ...(flags.maxMemoryPerChild ? { maxMemoryPerChild: parsePositiveInt('--max-memory-per-child', flags.maxMemoryPerChild) } : {}),
        ...(flags.autoscale ? { autoscale: parseAutoscale(flags.autoscale) } : {}),
        ...(flags.queues ? { queues: list(flags.queues) } : {}),
        ...(flags.excludeQueues ? { excludeQueues: list(flags.excludeQueues) } : {}),
        ...(flags.hostname ? { hostname: flags.hostname } : {}),
        ...(flags.timeLimit ? { timeLimit: parseSeconds('--time-limit', flags.timeLimit) } : {}),
        ...(flags.softTimeLimit ? { softTimeLimit: parseSeconds('--soft-time-limit', flags.softTimeLimit) } : {}),
        ...(flags.prefetchMultiplier ? { prefetchMultiplier: Number(flags.prefetchMultiplier) } : {}),
        withoutGossip: flags.withoutGossip === true,
        withoutMingle: flags.withoutMingle === true,
        withoutHeartbeat: flags.withoutHeartbeat === true,
        log,
      });
      if (flags.banner) process.stdout.write(banner(worker, version));
      // Log lines are written asynchronously: flush them before the process ends.
      const exit = (code: number) => log.flush(() => process.exit(code));
      const softEnabled = workerSettings(app.conf).worker_soft_shutdown_timeout > 0;
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
      if (supervised) serveSupervisor(worker, () => onSignal('SIGTERM'));
      // A broker refusing beat's TLS or login ends beat (logged); the worker itself met the same broker first.
      if (flags.beat) void (beat = new Beat(app, { log })).run().catch((err: unknown) => log.error(`beat: stopped: ${(err as Error).message}`));
    });
}
