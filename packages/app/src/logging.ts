/**
 * Logging through pino, formatted like Celery's log lines on a terminal:
 * `[2026-11-22 10:00:00,123: INFO/MainProcess] Task proj.add[...] succeeded in 0.001s: 5`.
 * Level names are Celery's (`-l debug|info|warning|error|critical`). A URL in a message is logged
 * with its password masked (`amqp://user:**@host//`), whoever wrote the message.
 */
import { pino, type LoggerOptions, type Logger } from 'pino';
import { redactUrls } from '@cq/kombu';
import pretty from 'pino-pretty';

export type { Logger };

const LEVELS: Record<string, pino.Level> = {
  debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', fatal: 'fatal',
};

/** Maps a Celery level name to pino's; throws on an unknown one, naming the valid names. */
export function levelName(level: string): pino.Level {
  const found = LEVELS[level.toLowerCase()];
  if (!found) throw new Error(`unknown log level ${JSON.stringify(level)}: use one of debug, info, warning, error, critical`);
  return found;
}

/** A logger writing Celery-style lines to stderr. `process` is the `/MainProcess` part. */
export function createLogger(options: { level?: string; processName?: string; json?: boolean } = {}): Logger {
  const level = levelName(options.level ?? process.env['CQ_LOG_LEVEL'] ?? 'warning');
  const base: LoggerOptions = { level, hooks: { logMethod: maskUrls } };
  if (options.json) return pino(base, pino.destination({ dest: 2, sync: true }));
  const name = options.processName ?? 'MainProcess';
  const stream = pretty({
    destination: 2,
    // Asynchronous writes: a synchronous write per task line costs the worker half its throughput.
    sync: false,
    colorize: false,
    ignore: 'pid,hostname,time,level',
    hideObject: true,
    messageFormat: (log, messageKey) => {
      const t = new Date(Number(log['time'] ?? Date.now()));
      const pad = (n: number, w = 2) => String(n).padStart(w, '0');
      const stamp = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())},${pad(t.getMilliseconds(), 3)}`;
      const lvl = ({ 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' } as Record<number, string>)[Number(log['level'])] ?? 'INFO';
      return `[${stamp}: ${lvl}/${name}] ${String(log[messageKey] ?? '')}`;
    },
  });
  return pino(base, stream);
}

/** pino's `logMethod` hook: string arguments with URL passwords masked. */
function maskUrls(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const masked = args.map((a: unknown) => typeof a === 'string' ? redactUrls(a) : a) as Parameters<pino.LogFn>;
  method.apply(this, masked);
}
