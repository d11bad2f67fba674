/**
 * `cq beat`: run the periodic task scheduler for the app (Celery `celery beat`).
 *
 * Entries come from the app's `beat_schedule`; state (last run, run count) persists in a SQLite file
 * (`-s`, default `beat.db` beside the embedded broker, else `.cq/beat.db`). Several `cq beat` on one
 * broker are safe: they share a lock with a lease (Redis when the broker is Redis, else the SQLite
 * file), one sends and the others stand by and take over when it dies.
 *
 * SIGINT or SIGTERM stops beat: it releases the lock (a standby beat takes over at once) and exits 0.
 */
import { Command } from 'commander';
import { Beat, createLogger, redact, scheduleFilename } from '@cq/celery';
import { loadApp } from '../load-app.js';
import { applyAppFlags, parseSeconds, withAppFlags, type AppFlags } from '../options.js';

interface BeatFlags extends AppFlags {
  schedule?: string;
  maxInterval?: string;
  lockTimeout?: string;
  loglevel: string;
  banner: boolean;
}

export function beatCommand(version: string): Command {
  return withAppFlags(new Command('beat').description('start the periodic task scheduler (beat)'))
    .option('-s, --schedule <file>', 'SQLite file of the schedule state (beat_schedule_filename)')
    .option('--max-interval <s>', 'longest sleep between checks, seconds (beat_max_loop_interval; default 300)')
    .option('--lock-timeout <s>', 'lease of the beat lock, seconds (beat_lock_timeout; default 30)')
    .option('-l, --loglevel <level>', 'debug, info, warning, error or critical', 'info')
    .option('--no-banner', 'do not print the start-up banner')
    .action(async (flags: BeatFlags) => {
      const log = createLogger({ level: flags.loglevel });
      const app = applyAppFlags(await loadApp(flags.app), flags);
      app.log = log;
      if (flags.schedule) app.conf.beat_schedule_filename = flags.schedule;
      const beat = new Beat(app, {
        log,
        ...(flags.maxInterval ? { maxInterval: parseSeconds('--max-interval', flags.maxInterval) } : {}),
        ...(flags.lockTimeout ? { lockTimeout: parseSeconds('--lock-timeout', flags.lockTimeout) } : {}),
      });
      if (flags.banner) {
        const db = (await beat.stateOnBroker()) ? `the broker (${redact(app.broker.url)})` : scheduleFilename(app);
        process.stdout.write([
          `cq beat v${version} is starting.`,
          `LocalTime -> ${new Date().toISOString().replace('T', ' ').slice(0, 19)}`,
          'Configuration ->',
          `    . broker -> ${redact(app.broker.url)}`,
          `    . app -> ${app.main}`,
          `    . db -> ${db}`,
          `    . maxinterval -> ${beat.scheduler.maxInterval}s`,
          `    . lock lease -> ${beat.lockTimeout}s`,
          '',
        ].join('\n'));
      }
      const stop = (sig: NodeJS.Signals) => {
        log.info(`beat: Shutting down (${sig})`);
        void beat.stop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await beat.run();
      await app.close();
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    });
}
