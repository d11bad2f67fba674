/** Options shared by several commands, and applying them to an app. */
import type { Command } from 'commander';
import type { Celery } from '@cq/celery';
import { CliError } from './errors.js';

export interface AppFlags {
  app?: string;
  broker?: string;
  resultBackend?: string;
}

/** Adds `-A`, `-b` and `--result-backend` to a command. */
export function withAppFlags(cmd: Command): Command {
  return cmd
    .option('-A, --app <module>', 'path of the module exporting the app (.js, .mjs or .ts)')
    .option('-b, --broker <url>', 'broker URL (default: $CQ_BROKER_URL, the app config, else the embedded SQLite broker)')
    .option('--result-backend <url>', 'result backend URL (default: $CQ_RESULT_BACKEND, the app config, else embedded SQLite)');
}

export function applyAppFlags(app: Celery, flags: AppFlags): Celery {
  return app.configure({
    ...(flags.broker ? { brokerUrl: flags.broker } : {}),
    ...(flags.resultBackend ? { resultBackend: flags.resultBackend } : {}),
  });
}

/** Parses a JSON option, naming the option and the expected shape on failure. */
export function parseJsonOption<T>(name: string, text: string | undefined, shape: 'array' | 'object'): T | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${name}: not valid JSON (${(err as Error).message}); e.g. ${shape === 'array' ? `'[2, 3]'` : `'{"x": 1}'`}`);
  }
  const ok = shape === 'array' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!ok) throw new CliError(`${name}: expected a JSON ${shape}, got ${text}`);
  return value as T;
}

/** Parses a number of seconds (may be fractional). */
export function parseSeconds(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${name}: expected a number of seconds >= 0, got ${JSON.stringify(text)}`);
  return n;
}

export function parsePositiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name}: expected a whole number >= 1, got ${JSON.stringify(text)}`);
  return n;
}
