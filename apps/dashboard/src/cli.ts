/**
 * `cq-dashboard`: the dashboard as a command (Flower's `celery flower`), for the broker of an app
 * module (`-A`) or of a URL (`-b`):
 *
 * ```sh
 * cq-dashboard -b redis://localhost:6379/0 --result-backend redis://localhost:6379/0 \
 *   --port 5555 --address 127.0.0.1 --db .cq/dashboard.db --basic-auth admin:s3cret --read-only
 * ```
 *
 * Flags: `-A/--app <module>` (a .js/.mjs module exporting the app as `app` or default; .ts when
 * Node runs with tsx), `-b/--broker <url>`, `--result-backend <url>`, `--port <n>` (5555),
 * `--address <host>` (127.0.0.1), `--db <file|postgresql://url>`, `--basic-auth <user:pass,...>` (repeatable),
 * `--auth-token <token,...>` (repeatable), `--read-only`, `--max-tasks <n>`, `--max-age <s>`,
 * `--inspect-timeout <s>`, `--no-enable-events`, `--beat-schedule-filename <file>` (cq beat's state
 * file, for the beat page; `cq beat -s`). Secrets may come from the environment instead of
 * the command line: `CQ_DASHBOARD_BASIC_AUTH`, `CQ_DASHBOARD_AUTH_TOKEN` (comma-separated).
 * Runs until SIGINT or SIGTERM.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Celery, redact } from '@cq/celery';
import { Dashboard } from './dashboard.js';
import { DashboardOptionError } from './errors.js';
import type { DashboardOptions } from './options.js';

const USAGE = `usage: cq-dashboard [-A module] [-b broker-url] [--result-backend url] [--port 5555] [--address 127.0.0.1]
                    [--db file|postgresql://url] [--basic-auth user:pass] [--auth-token token] [--read-only]
                    [--max-tasks n] [--max-age seconds] [--inspect-timeout seconds] [--no-enable-events]
                    [--beat-schedule-filename file]`;

const list = (values: readonly string[] | undefined, env: string | undefined): string[] =>
  [...(values ?? []), ...(env ? [env] : [])].flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new DashboardOptionError(`${flag}: expected a number, got ${JSON.stringify(text)}`);
  return n;
}

/** Parses the command line into the app to build and the dashboard's options. @throws DashboardOptionError. */
export function parseDashboardArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { app?: string; broker?: string; resultBackend?: string; help: boolean; options: Partial<DashboardOptions> } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        app: { type: 'string', short: 'A' }, broker: { type: 'string', short: 'b' }, 'result-backend': { type: 'string' },
        port: { type: 'string' }, address: { type: 'string' }, db: { type: 'string' },
        'basic-auth': { type: 'string', multiple: true }, 'auth-token': { type: 'string', multiple: true }, 'read-only': { type: 'boolean' },
        'max-tasks': { type: 'string' }, 'max-age': { type: 'string' }, 'inspect-timeout': { type: 'string' },
        'no-enable-events': { type: 'boolean' }, 'beat-schedule-filename': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new DashboardOptionError(`${(err as Error).message}\n${USAGE}`, { cause: err });
  }
  const v = parsed.values;
  const options: Partial<DashboardOptions> = {
    port: number('--port', v.port), address: v.address, db: v.db, readOnly: v['read-only'] ?? false,
    basicAuth: list(v['basic-auth'], env['CQ_DASHBOARD_BASIC_AUTH']), authTokens: list(v['auth-token'], env['CQ_DASHBOARD_AUTH_TOKEN']),
    maxTasks: number('--max-tasks', v['max-tasks']), maxAge: number('--max-age', v['max-age']),
    inspectTimeout: number('--inspect-timeout', v['inspect-timeout']), enableEvents: !v['no-enable-events'],
    beatScheduleFilename: v['beat-schedule-filename'],
  };
  return { app: v.app, broker: v.broker, resultBackend: v['result-backend'], help: v.help ?? false, options };
}

/** Imports the `-A` module and returns its app. @throws DashboardOptionError when it has none. */
async function loadApp(spec: string): Promise<Celery> {
  const file = path.resolve(spec);
  if (!existsSync(file)) throw new DashboardOptionError(`-A ${spec}: no such file ${file}`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const app = mod['app'] ?? mod['default'];
  if (!Celery.isApp(app)) throw new DashboardOptionError(`-A ${spec}: the module must export a Celery app as \`app\` or as default`);
  return app;
}

/** Runs the command until SIGINT/SIGTERM; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let dashboard: Dashboard | null = null;
  let app: Celery | null = null;
  try {
    const args = parseDashboardArgs(argv);
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    app = args.app ? await loadApp(args.app) : new Celery('cq-dashboard');
    app.configure({ ...(args.broker ? { brokerUrl: args.broker } : {}), ...(args.resultBackend ? { resultBackend: args.resultBackend } : {}) });
    dashboard = await Dashboard.start(app, args.options);
    const o = dashboard.options;
    process.stdout.write(`cq dashboard: ${dashboard.url}  broker ${redact(app.broker.url)}  store ${dashboard.store.location}${o.readOnly ? '  read-only' : ''}${o.basicAuth.length + o.authTokens.length ? '  auth on' : ''}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`cq-dashboard: ${e.code ? `[${e.code}] ` : ''}${redact(e.message)}\n`);
    return e instanceof DashboardOptionError ? 2 : 1;
  } finally {
    await dashboard?.close();
    await app?.close().catch(() => undefined);
  }
}
